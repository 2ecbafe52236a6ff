@{
    RootModule           = 'CondensaPS.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '5d0b8f7e-3c1a-4f0e-9a55-8f1f0c6b2a71'
    Author               = 'CondensaPS'
    CompanyName          = 'CondensaPS'
    Copyright            = '(c) CondensaPS contributors. MIT licence.'
    Description          = 'Scripted neural-network compression: prune, quantize, retrain with label preservation, and measure mismatches, as PowerShell pipelines on TorchSharp.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    FormatsToProcess     = @('CondensaPS.Format.ps1xml', 'CondensaPS.Compression.Format.ps1xml', 'CondensaPS.Measure.Format.ps1xml', 'CondensaPS.Training.Format.ps1xml', 'CondensaPS.Search.Format.ps1xml', 'CondensaPS.LongTail.Format.ps1xml')
    TypesToProcess       = @('CondensaPS.Types.ps1xml')
    CmdletsToExport      = @(
        'Import-Model', 'New-Model', 'Export-Model',
        'Get-CondensaConfiguration', 'Set-CondensaConfiguration',
        'Invoke-Prune', 'Invoke-Quantize', 'Invoke-Factorize', 'Get-ModelLayer',
        'Export-Strategy', 'Invoke-CompressionStrategy', 'Test-Strategy',
        'Measure-Model',
        'Import-Dataset', 'Start-LabelPreservingRetrain', 'Measure-Mismatch',
        'Find-CompressionStrategy', 'Measure-Memorization'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags       = @('MachineLearning', 'Compression', 'Pruning', 'Quantization', 'TorchSharp')
            ProjectUri = 'https://example.invalid/condensaps'
        }
    }
}

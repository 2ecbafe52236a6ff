# Pester 5: Ctrl+C (PowerShell.Stop, which calls StopProcessing) ends a long cmdlet, returns nothing half-done and
# leaves the input model untouched. Mirrors tests/CondensaPS.Module.Tests/StopProcessingTests.cs.
BeforeAll {
    $modulePath = "$PSScriptRoot/../out/CondensaPS/CondensaPS.psd1"
    $mnist = Join-Path $PSScriptRoot '..' 'data' 'mnist' 'train-images-idx3-ubyte.gz'
}

Describe 'Stopping Start-LabelPreservingRetrain' {
    It 'returns nothing and leaves the input model as it was' {
        $runspace = [runspacefactory]::CreateRunspace()
        $runspace.Open()
        try {
            $setup = [powershell]::Create($runspace)
            $null = $setup.AddScript("Import-Module '$modulePath'; `$data = Import-Dataset '$mnist' -First 2000; `$model = New-Model lenet5 -Seed 11 | Invoke-Prune -Ratio 0.5; `$snapshot = `$model.Clone()").Invoke()
            $setup.Dispose()

            $ps = [powershell]::Create($runspace)
            $null = $ps.AddScript('$model | Start-LabelPreservingRetrain -Data $data -Loss CrossEntropy -Epochs 200 -BatchSize 16')
            $output = [System.Management.Automation.PSDataCollection[psobject]]::new()
            $async = $ps.BeginInvoke([System.Management.Automation.PSDataCollection[psobject]]$null, $output)
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while ($ps.Streams.Progress.Count -eq 0 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
            $ps.Streams.Progress.Count | Should -BeGreaterThan 0
            $ps.Stop()
            { $ps.EndInvoke($async) } | Should -Throw
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            $output.Count | Should -Be 0
            $ps.Dispose()

            $check = [powershell]::Create($runspace)
            $result = $check.AddScript('[pscustomobject]@{ History = $model.History.Count; Differences = [CondensaPS.Engine.Models.ModelComparison]::Differences($snapshot, $model).Count }').Invoke()
            $check.Dispose()
            $result[0].History | Should -Be 1
            $result[0].Differences | Should -Be 0
        }
        finally {
            $runspace.Dispose()
        }
    }
}

# CondensaPS quickstart: make a small model, compress it, look at what changed, save it compactly and read it back.
# Run it without pwsh:  dotnet run --project src/CondensaPS.Host -- examples/quickstart.ps1
param(
    [string] $OutputFolder = [System.IO.Path]::GetTempPath()
)
$ErrorActionPreference = 'Stop'

# A LeNet-5 with seeded weights stands in for a trained model (Import-Model model.pt works the same way).
$model = New-Model -Architecture lenet5 -Seed 1 -Name quickstart
Write-Host "Built $($model.Name): $($model.Parameters) parameters, $($model.SizeBytes) bytes"

# Each step returns a new model; $model stays untouched and becomes the reference.
$compressed = $model | Invoke-Prune -Ratio 0.8 | Invoke-Quantize -Type Float16
$model, $compressed | Out-Default
$compressed | Get-ModelLayer | Out-Default

$path = Join-Path $OutputFolder 'quickstart-lenet5.cpz'
$report = $compressed | Export-Model -Path $path -Force -Report
Write-Host ("Compact file: {0:N0} bytes against {1:N0} dense fp32 bytes ({2:N1}x smaller)" -f $report.Bytes, $report.DenseBytes, $report.CompressionRatio)
$back = Import-Model -Path $path
Write-Host "Read back $($back.Name): sparsity $('{0:P1}' -f $back.Sparsity), $($back.DType), history: $($back.History -join ' | ')"
Get-CondensaConfiguration

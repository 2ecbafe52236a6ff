# CondensaPS quickstart: make a small model, look at it, export it and import it back.
# Run it without pwsh:  dotnet run --project src/CondensaPS.Host -- examples/quickstart.ps1
param(
    [string] $OutputFolder = [System.IO.Path]::GetTempPath()
)
$ErrorActionPreference = 'Stop'

$model = New-Model -Architecture lenet5 -Seed 1 -Name quickstart
Write-Host "Built $($model.Name): $($model.Parameters) parameters, $($model.SizeBytes) bytes"
$model

$path = Join-Path $OutputFolder 'quickstart-lenet5.tsw'
$model | Export-Model -Path $path -Force
$back = Import-Model -Path $path -Architecture lenet5
Write-Host "Round trip through $path`: $($back.Parameters) parameters"
Get-CondensaConfiguration

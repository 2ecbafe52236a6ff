# The "done when" of the operators issue, at full size: prune and quantize a PyTorch ResNet-50, save the history as a
# strategy, replay the strategy on the same file, and check that every parameter and buffer is identical.
param([Parameter(Mandatory)] [string] $ModelPath, [string] $OutDir = [System.IO.Path]::GetTempPath())
$ErrorActionPreference = 'Stop'
$strategy = Join-Path $OutDir 'r50-prune80-fp16.yaml'

$t0 = [DateTime]::UtcNow
$compressed = Import-Model $ModelPath | Invoke-Prune -Ratio 0.8 | Invoke-Quantize -Type Float16
$null = $compressed | Export-Strategy -Path $strategy -Force
$t1 = [DateTime]::UtcNow
$replayed = Invoke-CompressionStrategy -Path $strategy -Model $ModelPath
$t2 = [DateTime]::UtcNow

foreach ($step in $compressed.History) {
    Write-Host ("pipeline step {0,-9} {1,7:N3} s" -f $step.Operation, $step.Elapsed.TotalSeconds)
}
Write-Host ("pipeline (import, prune, quantize, export strategy): {0:N2} s; replay: {1:N2} s" -f ($t1 - $t0).TotalSeconds, ($t2 - $t1).TotalSeconds)
$a = @($compressed | Get-ModelLayer -All)
$b = @($replayed | Get-ModelLayer -All)
if ($a.Count -ne $b.Count) { throw "layer count differs: $($a.Count) vs $($b.Count)" }
Write-Host "sparsity $('{0:P2}' -f $compressed.Sparsity) vs $('{0:P2}' -f $replayed.Sparsity); dtype $($compressed.DType) vs $($replayed.DType)"
$same = [CondensaPS.Engine.Models.ModelComparison]::Identical($compressed, $replayed)
Write-Host "identical weights, buffers, masks and scales: $same"
if (-not $same) { exit 1 }

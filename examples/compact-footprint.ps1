# Compression you can see: export a model in the compact format (.cpz), read it back, and measure bytes and time.
# Run it without pwsh:  dotnet run --project src/CondensaPS.Host -- examples/compact-footprint.ps1
param(
    [string] $OutputFolder = [System.IO.Path]::GetTempPath()
)
$ErrorActionPreference = 'Stop'

$model = New-Model -Architecture lenet5 -Seed 1 -Name lenet5-dense

# 90% of the weights pruned, values stored as float16: the compact format keeps only what is left, at 2 bytes each.
$compressed = $model | Invoke-Prune -Ratio 0.9 | Invoke-Quantize -Type Float16
$compressed.Name = 'lenet5-90-fp16'

# Export-Model -Report writes a report (bytes on disk, dense fp32 bytes, ratio) instead of the model.
$path = Join-Path $OutputFolder 'lenet5-90-fp16.cpz'
$report = $compressed | Export-Model -Path $path -Format Compact -Force -Report
Write-Host ("Wrote {0}: {1:N0} bytes on disk, {2:N0} bytes dense fp32, ratio {3:N2}x" -f $report.Path, $report.Bytes, $report.DenseBytes, $report.CompressionRatio)

# The compact file carries the architecture, masks, quantization and history: Import-Model needs no -Architecture.
$back = Import-Model -Path $path
Write-Host "Read back $($back.Name): $($back.Architecture), $($back.DType), sparsity $('{0:P1}' -f $back.Sparsity), history: $($back.Steps)"

# Footprint() encodes the model in memory: dense fp32 bytes, compact bytes and their ratio, per tensor too.
$footprint = $back.Footprint()
Write-Host ("Footprint: {0:N0} dense bytes, {1:N0} compact bytes ({2:N2}x)" -f $footprint.DenseBytes, $footprint.CompactBytes, $footprint.CompressionRatio)

# Latency (p50, p95), throughput and training throughput; with -Reference, speedup and size ratio.
# On CPU the pruned model computes the same dense convolutions: expect a speedup near 1x and a large size ratio.
$measurement = Measure-Model -Model $back -Reference $model -BatchSize 16 -Iterations 10 -Warmup 2
Write-Host ("Measured {0}: p50 {1:N2} ms, p95 {2:N2} ms, {3:N0} samples/s inference, {4:N0} samples/s training; speedup {5:N2}x, size ratio {6:N2}x vs {7}" -f `
    $measurement.Model, $measurement.LatencyP50Ms, $measurement.LatencyP95Ms, $measurement.Throughput, $measurement.TrainingThroughput, `
    $measurement.Speedup, $measurement.SizeRatio, $measurement.Reference)
$measurement

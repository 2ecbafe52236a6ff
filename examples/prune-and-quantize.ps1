# Prune a model, quantize it, look at what each layer became, save the recipe as a strategy and replay it.
# Run:  condensa examples/prune-and-quantize.ps1 [output-folder]      (or from pwsh with the module imported)
param([string]$OutDir = (Join-Path ([System.IO.Path]::GetTempPath()) 'condensaps-prune-and-quantize'))

$null = [System.IO.Directory]::CreateDirectory($OutDir)

# A LeNet-5 with seeded weights stands in for a trained model (Import-Model model.pt works the same way).
$model = New-Model -Architecture lenet5 -Seed 1 -Name lenet5

# 80% of the conv and linear weights, one global magnitude threshold; the first convolution stays dense.
$pruned = $model | Invoke-Prune -Ratio 0.8 -Scope Global -Exclude 'conv1.*'
# Half storage: every floating parameter and buffer rounded through float16.
$compressed = $pruned | Invoke-Quantize -Type Float16

Write-Host ("{0}: sparsity {1:P1}, {2:N0} -> {3:N0} bytes" -f $compressed.Name, $compressed.Sparsity, $model.SizeBytes, $compressed.SizeBytes)
$compressed | Get-ModelLayer

# The model's history is the recipe: write it as a strategy and replay it on the original model.
$strategy = Join-Path $OutDir 'lenet5-prune80-fp16.yaml'
$null = $compressed | Export-Strategy -Path $strategy -Name lenet5-prune80-fp16 -Force
$replayed = Invoke-CompressionStrategy -Path $strategy -Model $model

$before = @($compressed | Get-ModelLayer)
$after = @($replayed | Get-ModelLayer)
for ($i = 0; $i -lt $before.Count; $i++) {
    if ($before[$i].NonZeros -ne $after[$i].NonZeros) { throw "Replay differs at $($before[$i].Parameter)" }
}
Write-Host "Replayed $strategy : $($replayed.History.Count) steps, sparsity $('{0:P1}' -f $replayed.Sparsity), same non-zeros in every layer."

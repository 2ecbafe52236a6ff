# Label-preserving retraining on real MNIST digits: train a LeNet-5 reference, prune it hard, recover it twice with
# the same budget (plain cross-entropy fine-tuning vs label-preserving) and count, on the 2,000 test digits, how
# often each recovered model's label differs from the reference's. Over several seeds, with mean and spread.
# Run:  condensa examples/mnist-label-preserving.ps1 [-Quick] [-PassThru]      (or from pwsh with the module imported)
param(
    [switch]$Quick,
    # Return the per-seed results as an object as well (for exploration and tests).
    [switch]$PassThru,
    [int[]]$Seeds = @(1, 2, 3),
    [double]$Ratio = 0.95,
    [int]$Epochs = 3,
    [double]$LearningRate = 0.01,
    # The cross-entropy baseline's learning rate (default: -LearningRate). The label-preserving loss's default weights
    # sum to 3.5, so at one learning rate it also takes larger steps; a baseline at a higher rate is the fairer test.
    [double]$BaselineLearningRate = $LearningRate,
    [string[]]$Loss = @('LabelPreserving'),
    [double[]]$LossWeights,
    [double]$Temperature = 4,
    [string]$SoftAdapt = 'None',
    [string]$DataDir = (Join-Path (Join-Path $PSScriptRoot '..') (Join-Path 'data' 'mnist'))
)

$trainCount = 7000; $testCount = 2000; $valCount = 1000; $referenceEpochs = 4
if ($Quick) { $Seeds = @($Seeds[0]); $trainCount = 1500; $testCount = 500; $valCount = 300; $referenceEpochs = 2; $Epochs = 1 }

$train = Import-Dataset (Join-Path $DataDir 'train-images-idx3-ubyte.gz') -First $trainCount
$val = Import-Dataset (Join-Path $DataDir 'val-images-idx3-ubyte.gz') -First $valCount
$test = Import-Dataset (Join-Path $DataDir 'test-images-idx3-ubyte.gz') -First $testCount
Write-Host ("Data: {0:N0} training, {1:N0} validation, {2:N0} test digits; prune {3:P0} (global magnitude), recover {4} epoch(s) at learning rate {5} (baseline {6})" -f $train.Count, $val.Count, $test.Count, $Ratio, $Epochs, $LearningRate, $BaselineLearningRate)

$lpArgs = @{ Loss = $Loss; Temperature = $Temperature; SoftAdapt = $SoftAdapt }
if ($LossWeights) { $lpArgs.LossWeights = $LossWeights }

$rows = @()
foreach ($seed in $Seeds) {
    # The reference: LeNet-5 trained from seeded weights with cross-entropy (it has no reference of its own).
    $reference = New-Model -Architecture lenet5 -Seed $seed -Name "lenet5-s$seed" |
        Start-LabelPreservingRetrain -Data $train -Loss CrossEntropy -Epochs $referenceEpochs -LearningRate 0.05 -Seed $seed
    $reference.Name = "lenet5-s$seed"
    $pruned = $reference | Invoke-Prune -Ratio $Ratio -Scope Global
    $before = Measure-Mismatch -Compressed $pruned -Data $test

    $baseline = $pruned | Start-LabelPreservingRetrain -Data $train -ValidationData $val -Loss CrossEntropy -Epochs $Epochs -LearningRate $BaselineLearningRate -Seed $seed
    $preserving = $pruned | Start-LabelPreservingRetrain -Data $train -ValidationData $val @lpArgs -Epochs $Epochs -LearningRate $LearningRate -Seed $seed
    $b = Measure-Mismatch -Compressed $baseline -Data $test
    $p = Measure-Mismatch -Compressed $preserving -Data $test
    Write-Host ("seed {0}: reference {1:P2}; pruned {2:P2} ({3} mismatches); cross-entropy {4:P2}, {5} mismatches ({6} ref-right); label-preserving {7:P2}, {8} mismatches ({9} ref-right)" -f `
        $seed, $b.ReferenceAccuracy, $before.CompressedAccuracy, $before.Mismatches, $b.CompressedAccuracy, $b.Mismatches, $b.MismatchesReferenceRight, $p.CompressedAccuracy, $p.Mismatches, $p.MismatchesReferenceRight)
    $rows += [pscustomobject]@{ Seed = $seed; Reference = $b.ReferenceAccuracy; Baseline = $b; Preserving = $p }
    foreach ($m in @($reference, $pruned, $baseline, $preserving)) { $m.Dispose() }
}

function Get-Stats([double[]]$values) {
    $n = $values.Count; $sum = 0.0; foreach ($v in $values) { $sum += $v }
    $mean = $sum / $n; $ss = 0.0; foreach ($v in $values) { $ss += ($v - $mean) * ($v - $mean) }
    $sd = if ($n -gt 1) { [math]::Sqrt($ss / ($n - 1)) } else { 0.0 }
    [pscustomobject]@{ Mean = $mean; Sd = $sd }
}

Write-Host ''
Write-Host ('{0,-28} {1,22} {2,22}' -f 'on the test digits', 'cross-entropy', 'label-preserving')
$lines = @(
    @{ Name = 'accuracy (%)'; Get = { param($r) 100 * $r.CompressedAccuracy } },
    @{ Name = 'mismatches'; Get = { param($r) $r.Mismatches } },
    @{ Name = 'mismatches, reference right'; Get = { param($r) $r.MismatchesReferenceRight } }
)
foreach ($line in $lines) {
    $bs = Get-Stats @($rows | ForEach-Object { & $line.Get $_.Baseline })
    $ps = Get-Stats @($rows | ForEach-Object { & $line.Get $_.Preserving })
    Write-Host ('{0,-28} {1,22} {2,22}' -f $line.Name, ('{0:N2} +/- {1:N2}' -f $bs.Mean, $bs.Sd), ('{0:N2} +/- {1:N2}' -f $ps.Mean, $ps.Sd))
}
$ahead = @($rows | Where-Object { $_.Preserving.Mismatches -lt $_.Baseline.Mismatches }).Count
$bm = (Get-Stats @($rows | ForEach-Object { $_.Baseline.Mismatches })).Mean
$pm = (Get-Stats @($rows | ForEach-Object { $_.Preserving.Mismatches })).Mean
$factor = if ($pm -gt 0) { $bm / $pm } else { [double]::PositiveInfinity }
Write-Host ('Label-preserving has fewer mismatches on {0} of {1} seed(s); {2:N2}x fewer on average.' -f $ahead, $rows.Count, $factor)
if ($PassThru) { [pscustomobject]@{ Seeds = $rows.Count; Ahead = $ahead; Factor = $factor; Rows = $rows } }

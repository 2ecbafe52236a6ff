# Label-preserving retraining on real MNIST digits against the baselines of the literature. Per seed: train a LeNet-5
# reference, prune it hard (global magnitude), then recover it four ways with the same budget (epochs, batch size,
# learning-rate schedule): the baselines fine-tune the pruned model (cross-entropy, knowledge distillation at T = 4,
# focal distillation: positive-congruent training, Yan et al. 2021); the label-preserving default starts from the
# reference and prunes again gradually to the same sparsity in its first epochs (-Method Auto). On the 2,000 test digits each
# recovered model is compared with its reference: accuracy, mismatches (labels that differ) and negative flips
# (the reference right, the recovered model wrong). Mean and spread over the seeds, at each sparsity.
# Run:  condensa examples/mnist-label-preserving.ps1 [-Quick] [-PassThru]      (or from pwsh with the module imported)
param(
    # The CI variant: one seed, one sparsity, a slice of the data and a short budget.
    [switch]$Quick,
    # Return the results as an object as well (for exploration and tests).
    [switch]$PassThru,
    [int[]]$Seeds = @(1, 2, 3, 4, 5),
    [double[]]$Ratios = @(0.95, 0.98),
    # The budget every method gets; 0 keeps Start-LabelPreservingRetrain's default.
    [int]$Epochs = 0,
    # Focal distillation's learning rate: at the others' rate its T^2-scaled KL (T = 100, weights up to 6) diverges
    # on the pruned LeNet-5 (docs/label-preserving-results.md), so it runs at the rate that suits it.
    [double]$FocalLearningRate = 0.001,
    [string]$DataDir = (Join-Path (Join-Path $PSScriptRoot '..') (Join-Path 'data' 'mnist'))
)
# A failed step stops the run: carrying on would pair the next rows with the last good (disposed) reference.
$ErrorActionPreference = 'Stop'

$trainCount = 7000; $testCount = 2000; $valCount = 1000; $referenceEpochs = 4
if ($Quick) { $Seeds = @($Seeds[0]); $Ratios = @($Ratios[0]); $trainCount = 1500; $testCount = 500; $valCount = 300; $referenceEpochs = 2; if (-not $Epochs) { $Epochs = 2 } }

$train = Import-Dataset (Join-Path $DataDir 'train-images-idx3-ubyte.gz') -First $trainCount
$val = Import-Dataset (Join-Path $DataDir 'val-images-idx3-ubyte.gz') -First $valCount
$test = Import-Dataset (Join-Path $DataDir 'test-images-idx3-ubyte.gz') -First $testCount
$budget = @{}
if ($Epochs) { $budget.Epochs = $Epochs }
$methods = @(
    [pscustomobject]@{ Name = 'cross-entropy'; Args = @{ Loss = 'CrossEntropy'; Method = 'FineTune' } },
    [pscustomobject]@{ Name = 'distillation'; Args = @{ Loss = 'Distillation'; Method = 'FineTune' } },
    [pscustomobject]@{ Name = 'focal distillation'; Args = @{ Loss = 'PositiveCongruent'; LearningRate = $FocalLearningRate; Method = 'FineTune' } },
    [pscustomobject]@{ Name = 'label-preserving'; Args = @{} }
)
Write-Host ("Data: {0:N0} training, {1:N0} validation, {2:N0} test digits; seeds {3}; sparsity {4}; every method {5}" -f `
    $train.Count, $val.Count, $test.Count, ($Seeds -join ','), (($Ratios | ForEach-Object { '{0:P0}' -f $_ }) -join ', '),
    $(if ($Epochs) { "$Epochs epochs" } else { "the default budget" }))

$rows = @()
foreach ($seed in $Seeds) {
    # The reference: LeNet-5 trained from seeded weights with cross-entropy (it has no reference of its own).
    $reference = New-Model -Architecture lenet5 -Seed $seed -Name "lenet5-s$seed" |
        Start-LabelPreservingRetrain -Data $train -Loss CrossEntropy -Epochs $referenceEpochs -LearningRate 0.05 -LearningRateSchedule Constant -Seed $seed
    $reference.Name = "lenet5-s$seed"
    foreach ($ratio in $Ratios) {
        $pruned = $reference | Invoke-Prune -Ratio $ratio -Scope Global
        foreach ($method in $methods) {
            $methodArgs = $method.Args
            $model = $pruned | Start-LabelPreservingRetrain -Data $train -ValidationData $val -Seed $seed @budget @methodArgs
            $m = Measure-Mismatch -Compressed $model -Reference $reference -Data $test
            $rows += [pscustomobject]@{ Seed = $seed; Ratio = $ratio; Method = $method.Name; Accuracy = 100 * $m.CompressedAccuracy
                Mismatches = $m.Mismatches; NegativeFlips = $m.NegativeFlips; ReferenceAccuracy = 100 * $m.ReferenceAccuracy; Report = $m }
            $model.Dispose()
        }
        $mine = @($rows | Where-Object { $_.Seed -eq $seed -and $_.Ratio -eq $ratio })
        Write-Host ("seed {0}, {1:P0}: reference {2:N2} %; mismatches / negative flips: {3}" -f $seed, $ratio, $mine[0].ReferenceAccuracy,
            (($mine | ForEach-Object { '{0} {1}/{2}' -f $_.Method, $_.Mismatches, $_.NegativeFlips }) -join ', '))
        $pruned.Dispose()
    }
    $reference.Dispose()
}

function Get-Stats([double[]]$values) {
    $n = $values.Count; $sum = 0.0; foreach ($v in $values) { $sum += $v }
    $mean = $sum / $n; $ss = 0.0; foreach ($v in $values) { $ss += ($v - $mean) * ($v - $mean) }
    $sd = if ($n -gt 1) { [math]::Sqrt($ss / ($n - 1)) } else { 0.0 }
    [pscustomobject]@{ Mean = $mean; Sd = $sd; Text = ('{0:N2} +/- {1:N2}' -f $mean, $sd) }
}

$summary = @()
foreach ($ratio in $Ratios) {
    Write-Host ''
    Write-Host ("{0:P0} sparsity, {1} seed(s), on the test digits (mean +/- standard deviation)" -f $ratio, $Seeds.Count)
    Write-Host ('{0,-20} {1,18} {2,18} {3,18}' -f 'method', 'accuracy (%)', 'mismatches', 'negative flips')
    foreach ($method in $methods) {
        $mine = @($rows | Where-Object { $_.Ratio -eq $ratio -and $_.Method -eq $method.Name })
        $acc = Get-Stats @($mine | ForEach-Object { $_.Accuracy }); $mm = Get-Stats @($mine | ForEach-Object { $_.Mismatches })
        $nf = Get-Stats @($mine | ForEach-Object { $_.NegativeFlips })
        Write-Host ('{0,-20} {1,18} {2,18} {3,18}' -f $method.Name, $acc.Text, $mm.Text, $nf.Text)
        $summary += [pscustomobject]@{ Ratio = $ratio; Method = $method.Name; Accuracy = $acc.Mean; Mismatches = $mm.Mean; NegativeFlips = $nf.Mean }
    }
    $ce = @($rows | Where-Object { $_.Ratio -eq $ratio -and $_.Method -eq 'cross-entropy' })
    $lp = @($rows | Where-Object { $_.Ratio -eq $ratio -and $_.Method -eq 'label-preserving' })
    $fewest = [double]::PositiveInfinity; $fewestNf = [double]::PositiveInfinity
    for ($i = 0; $i -lt $ce.Count; $i++) {
        $fewest = [math]::Min($fewest, $ce[$i].Mismatches / [math]::Max(1, $lp[$i].Mismatches))
        $fewestNf = [math]::Min($fewestNf, $ce[$i].NegativeFlips / [math]::Max(1, $lp[$i].NegativeFlips))
    }
    $ceMean = ($summary | Where-Object { $_.Ratio -eq $ratio -and $_.Method -eq 'cross-entropy' })
    $lpMean = ($summary | Where-Object { $_.Ratio -eq $ratio -and $_.Method -eq 'label-preserving' })
    Write-Host ('Label-preserving against cross-entropy: {0:N2}x fewer mismatches ({1:N2}x on its worst seed), {2:N2}x fewer negative flips ({3:N2}x on its worst seed), accuracy {4:+0.00;-0.00} points.' -f `
        ($ceMean.Mismatches / [math]::Max(1e-9, $lpMean.Mismatches)), $fewest, ($ceMean.NegativeFlips / [math]::Max(1e-9, $lpMean.NegativeFlips)), $fewestNf,
        ($lpMean.Accuracy - $ceMean.Accuracy))
}
if ($PassThru) { [pscustomobject]@{ Seeds = $Seeds.Count; Ratios = $Ratios; Summary = $summary; Rows = $rows } }

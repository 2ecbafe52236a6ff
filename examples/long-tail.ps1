# Which examples does compression forget? The long-tail report (docs/long-tail.md).
# 1. Memorisation: K models trained on random subsets (-SubsetRatio) of the training digits, as worker jobs
#    (Measure-Memorization), give each training digit its memorisation score (accuracy when trained on minus when
#    held out) and each test digit its influence (how much one training digit decides it), with standard errors.
#    The run is kept in -OutputPath and reused by the next call (-Resume: nothing trains again).
# 2. Per seed: a reference is trained, pruned by global magnitude at each -Ratios, and recovered with the default
#    label-preserving retraining (and, with -CompareLongTail, also with long-tail weighting: each training sample
#    weighs 1 + -LongTailWeight x its memorisation score). Each recovered model's mismatches against its reference are
#    broken down by score (Measure-Mismatch -Score): on the training digits by memorisation, on the test digits by
#    influence, in buckets by score (-BucketEdges, or -Buckets of about equal size). Are the negative flips (reference right, compressed wrong)
#    concentrated on the high-memorisation examples? The table gives the top bucket's negative-flip rate against the
#    overall one (lift) and the Spearman correlation between score and negative flip.
# Setups: mnist (LeNet-5 on data/mnist, fresh subset models) or uci-digits (the batch-norm CNN of the label-preserving
# results on data/uci-digits; its TorchScript is made with Debian's PyTorch, /usr/bin/python3, and the subset models
# all start from that initialisation).
# Run:  condensa examples/long-tail.ps1 [-Quick] [-Setup uci-digits] [-CompareLongTail] [-PassThru]
param(
    # The CI variant: a slice of the data, K = 4, one sparsity, short budgets.
    [switch]$Quick,
    [switch]$PassThru,
    [ValidateSet('mnist', 'uci-digits')]
    [string]$Setup = 'mnist',
    # K, the subset ratio and each subset model's epochs (cross-entropy, lr 0.05, cosine, batch 64).
    [int]$SubsetCount = 50,
    [double]$SubsetRatio = 0.7,
    [int]$SubsetEpochs = 0,
    [int]$ThrottleLimit = 2,
    # The memorisation run's folder (kept; a later call with the same settings reuses its models).
    [string]$OutputPath,
    # Lists may come as one comma-separated string (as `condensa script.ps1` passes them).
    [string[]]$Ratios = @('0.9', '0.95', '0.98'),
    [string[]]$Seeds = @('1'),
    # Buckets of the scores: below 0.1, 0.1 up to 0.25, 0.25 up to 0.5, 0.5 and above (most examples score exactly
    # 0, so buckets of equal size would tie). -Buckets n makes n buckets of about equal size instead.
    [string[]]$BucketEdges = @('0.1', '0.25', '0.5'),
    [int]$Buckets = 0,
    [switch]$CompareLongTail,
    [double]$LongTailWeight = 2,
    # The recovery budget (0: Start-LabelPreservingRetrain's default).
    [int]$Epochs = 0,
    [string]$DataDir
)
$ErrorActionPreference = 'Stop'
$invariant = [Globalization.CultureInfo]::InvariantCulture
$ratioList = @($Ratios -join ',' -split ',' | ForEach-Object { [double]::Parse($_.Trim(), $invariant) })
$seedList = @($Seeds -join ',' -split ',' | ForEach-Object { [int]$_.Trim() })
$edgeList = @($BucketEdges -join ',' -split ',' | Where-Object { $_.Trim() } | ForEach-Object { [double]::Parse($_.Trim(), $invariant) })
$bucketArgs = if ($Buckets -gt 0) { @{ ScoreBuckets = $Buckets } } else { @{ ScoreBucketEdges = $edgeList } }
$repo = Join-Path $PSScriptRoot '..'
if (-not $DataDir) { $DataDir = Join-Path (Join-Path $repo 'data') $(if ($Setup -eq 'uci-digits') { 'uci-digits' } else { 'mnist' }) }

$importArgs = @{}
$counts = @{ Train = 7000; Val = 1000; Test = 2000 }
$referenceEpochs = 4
if ($Setup -eq 'uci-digits') {
    $importArgs.Normalize = 0.305, 0.376   # the UCI digits' own pixel statistics
    $counts = @{ Train = 1000; Val = 297; Test = 500 }
    $referenceEpochs = 30
    if (-not $SubsetEpochs) { $SubsetEpochs = 30 }
}
if (-not $SubsetEpochs) { $SubsetEpochs = 5 }
if ($Quick) {
    $counts = @{ Train = [Math]::Min(600, $counts.Train); Val = 200; Test = 200 }
    $SubsetCount = 4; $SubsetEpochs = 2; $referenceEpochs = 2; $ratioList = @($ratioList[0]); $seedList = @($seedList[0])
    if (-not $Epochs) { $Epochs = 2 }
}
$train = Import-Dataset (Join-Path $DataDir 'train-images-idx3-ubyte.gz') -First $counts.Train @importArgs
$val = Import-Dataset (Join-Path $DataDir 'val-images-idx3-ubyte.gz') -First $counts.Val @importArgs
$test = Import-Dataset (Join-Path $DataDir 'test-images-idx3-ubyte.gz') -First $counts.Test @importArgs
$work = Join-Path ([IO.Path]::GetTempPath()) 'condensaps-long-tail'
$null = [IO.Directory]::CreateDirectory($work)

function New-Initial([int]$seed) {
    if ($Setup -eq 'uci-digits') {
        $file = Join-Path $work "bn-cnn-8x8-s$seed.pt"
        if (-not (Test-Path $file)) {
            & /usr/bin/python3 (Join-Path $repo 'bench/label-preserving/make_bn_cnn.py') $work $seed | Out-Null
            if ($LASTEXITCODE) { throw "make_bn_cnn.py failed (exit code $LASTEXITCODE); the uci-digits setup needs Debian's PyTorch at /usr/bin/python3." }
        }
        Import-Model $file -Name "bn-cnn-s$seed"
    } else { New-Model -Architecture lenet5 -Seed $seed -Name "lenet5-s$seed" }
}

# 1. The memorisation estimate (kept and reused).
if (-not $OutputPath) { $OutputPath = Join-Path $work ('{0}-k{1}-r{2}-e{3}{4}.memorization' -f $Setup, $SubsetCount, $SubsetRatio, $SubsetEpochs, $(if ($Quick) { '-quick' } else { '' })) }
$resume = Test-Path (Join-Path $OutputPath 'memorization-run.json')
$initial = New-Initial 1
$memArgs = @{ Initialization = $(if ($Setup -eq 'uci-digits') { 'Given' } else { 'Fresh' }) }
$mem = Measure-Memorization -Model $initial -Data $train -TestData $test -SubsetCount $SubsetCount -SubsetRatio $SubsetRatio `
    -Recipe @{ epochs = $SubsetEpochs } -ThrottleLimit $ThrottleLimit -OutputPath $OutputPath -Resume:$resume @memArgs
$initial.Dispose()
$trainScores = @($mem.Training | ForEach-Object { $_.Memorization } | Where-Object { -not [double]::IsNaN($_) } | Sort-Object)
$errors = @($mem.Training | ForEach-Object { $_.StandardError } | Where-Object { -not [double]::IsNaN($_) })
$influences = @($mem.Test | ForEach-Object { $_.Influence } | Where-Object { -not [double]::IsNaN($_) } | Sort-Object)
function Quantile($sorted, [double]$q) { if ($sorted.Count -eq 0) { [double]::NaN } else { $sorted[[int][Math]::Floor($q * ($sorted.Count - 1))] } }
Write-Host ('Memorisation ({0}): K = {1} ({2} used, {3} failed), subset ratio {4}, {5} epochs per subset model; {6:N0} training / {7:N0} test examples; {8} new, {9} reused, {10:N0} s' -f `
    $Setup, $mem.SubsetCount, $mem.ModelsUsed, $mem.FailedModels.Count, $mem.SubsetRatio, $SubsetEpochs, $train.Count, $test.Count, $mem.ModelsRun, $mem.ModelsResumed, $mem.Elapsed.TotalSeconds)
Write-Host ('  subset models: {0:P2} on their subsets, {1:P2} on the test examples' -f $mem.MeanSubsetAccuracy, $mem.MeanTestAccuracy)
Write-Host ('  memorisation: mean {0:N3}, median {1:N3}, 90th percentile {2:N3}, {3} at 0.5 or more, {4} undefined; standard error mean {5:N3} (max {6:N3}); split-half correlation {7:N3}' -f `
    $mem.MeanMemorization, (Quantile $trainScores 0.5), (Quantile $trainScores 0.9), $mem.HighlyMemorized, $mem.Undefined, $mem.MeanStandardError,
    ($errors | Measure-Object -Maximum).Maximum, $mem.SplitHalfCorrelation)
Write-Host ('  test influence: median {0:N3}, 90th percentile {1:N3}, max {2:N3}' -f (Quantile $influences 0.5), (Quantile $influences 0.9), (Quantile $influences 1.0))

# 2. References, pruning, recovery, and the flips by score.
# Every recovery trains on mixed-up teacher inputs only and prunes gradually by magnitude: the cheaper recipe for the
# report's many recoveries (the cmdlet's default adds affine, elastic and cut-mixed inputs at 2.5 times the time, and
# prunes by Fisher score), and the one the README's long-tail figures were measured with.
$recipes = @([pscustomobject]@{ Name = 'default'; Args = @{ TeacherInputs = 'Mixup'; GradualScore = 'Magnitude' } })
if ($CompareLongTail) { $recipes += [pscustomobject]@{ Name = "long-tail w=$LongTailWeight"; Args = @{ TeacherInputs = 'Mixup'; GradualScore = 'Magnitude'; ExampleScores = $mem; LongTailWeight = $LongTailWeight } } }
$budget = @{}
if ($Epochs) { $budget.Epochs = $Epochs }

function Summarize($byScore) {
    $top = $byScore.Buckets[-1]
    $all = ($byScore.Buckets | Measure-Object -Property NegativeFlips -Sum).Sum
    [pscustomobject]@{
        Flips = $all; TopFlips = $top.NegativeFlips; TopSamples = $top.Samples; TopRange = $top.Range
        TopRate = $top.NegativeFlipRate; Rate = $all / [Math]::Max(1, $byScore.Scored); Lift = $top.NegativeFlipLift
        Share = $top.NegativeFlips / [Math]::Max(1, $all); Spearman = $byScore.NegativeFlipCorrelation.Spearman
        Rates = ($byScore.Buckets | ForEach-Object { '{0:N2}' -f (100 * $_.NegativeFlipRate) }) -join ' '
    }
}

$rows = @()
foreach ($seed in $seedList) {
    $reference = New-Initial $seed |
        Start-LabelPreservingRetrain -Data $train -Loss CrossEntropy -Epochs $referenceEpochs -LearningRate 0.05 -LearningRateSchedule Constant -Seed $seed
    foreach ($ratio in $ratioList) {
        $pruned = $reference | Invoke-Prune -Ratio $ratio -Scope Global
        foreach ($recipe in $recipes) {
            $recipeArgs = $recipe.Args
            $model = $pruned | Start-LabelPreservingRetrain -Data $train -ValidationData $val -Seed $seed @budget @recipeArgs
            $onTrain = Measure-Mismatch -Compressed $model -Reference $reference -Data $train -Score $mem @bucketArgs
            $onTest = Measure-Mismatch -Compressed $model -Reference $reference -Data $test -Score $mem @bucketArgs
            $t = Summarize $onTrain.ByScore; $s = Summarize $onTest.ByScore
            $rows += [pscustomobject]@{ Seed = $seed; Ratio = $ratio; Recipe = $recipe.Name
                ReferenceAccuracy = 100 * $onTest.ReferenceAccuracy; Accuracy = 100 * $onTest.CompressedAccuracy
                TestMismatches = $onTest.Mismatches; TestFlips = $onTest.NegativeFlips; TrainFlips = $onTrain.NegativeFlips
                Train = $t; Test = $s; TrainReport = $onTrain; TestReport = $onTest }
            Write-Host ('seed {0}, {1:P0}, {2}: accuracy {3:N2} % (reference {4:N2} %), test mismatches {5}, negative flips: test {6}, training {7}' -f `
                $seed, $ratio, $recipe.Name, (100 * $onTest.CompressedAccuracy), (100 * $onTest.ReferenceAccuracy), $onTest.Mismatches, $onTest.NegativeFlips, $onTrain.NegativeFlips)
            $model.Dispose()
        }
        $pruned.Dispose()
    }
    $reference.Dispose()
}

Write-Host ''
$first = $rows[0]
Write-Host ''
Write-Host ('Buckets (examples): training by memorisation {0}; test by influence {1}' -f `
    (($first.TrainReport.ByScore.Buckets | ForEach-Object { '{0} {1}' -f $_.Range, $_.Samples }) -join ', '),
    (($first.TestReport.ByScore.Buckets | ForEach-Object { '{0} {1}' -f $_.Range, $_.Samples }) -join ', '))
Write-Host ("Negative flips by score: the rate per bucket from low to high score, in %; top/all = flips in the highest-score bucket / in all buckets; lift = its rate over the overall rate")
Write-Host ('{0,-5} {1,-6} {2,-18} {3,-6} | {4,-30} {5,8} {6,6} {7,9} | {8,-30} {9,8} {10,6} {11,9}' -f 'seed', 'sparse', 'recipe', 'data',
    'training: rates by memorisation', 'top/all', 'lift', 'Spearman', 'test: rates by influence', 'top/all', 'lift', 'Spearman')
foreach ($r in $rows) {
    Write-Host ('{0,-5} {1,-6:P0} {2,-18} {3,-6} | {4,-30} {5,8} {6,6:N2} {7,9:N3} | {8,-30} {9,8} {10,6:N2} {11,9:N3}' -f $r.Seed, $r.Ratio, $r.Recipe, $Setup,
        $r.Train.Rates, ('{0}/{1}' -f $r.Train.TopFlips, $r.Train.Flips), $r.Train.Lift, $r.Train.Spearman,
        $r.Test.Rates, ('{0}/{1}' -f $r.Test.TopFlips, $r.Test.Flips), $r.Test.Lift, $r.Test.Spearman)
}
if ($PassThru) { [pscustomobject]@{ Setup = $Setup; Memorization = $mem; Rows = $rows } }

# Compares retraining recipes on the demo's setting (MNIST digits, LeNet-5 references, global magnitude pruning), or
# with -Setup uci-digits on the second one (the UCI 8x8 digits in data/uci-digits, batch-norm CNNs that
# make_bn_cnn.py writes with Debian's PyTorch):
# per seed the mismatches against the reference, negative flips and accuracy on the 2,000 test digits, then each
# recipe's mean and spread and its ratio to the first recipe (the baseline). References are trained once per seed
# and kept in a cache folder, so a probe of new recipes only pays for the recoveries.
#
# Run:  condensa bench/label-preserving/compare.ps1 -Seeds 1,2 -Ratio 0.95,0.98 `
#         -Recipe 'ce|Loss=CrossEntropy; lp|Loss=LabelPreserving; lp-cos|Epochs=10|LearningRateSchedule=Cosine'
# A recipe is 'name|Parameter=value|...' with Start-LabelPreservingRetrain's parameters (lists comma-separated);
# recipes are separated by ';'. Lists may come as one comma-separated string (as `condensa script.ps1` passes them).
# TeacherData=<IDX image file> imports that file as unlabelled teacher inputs (-TeacherData).
# Seed=<n> in a recipe seeds the recovery (batch order, teacher inputs) with n instead of the reference's seed.
param(
    [string[]]$Seeds = @('1', '2', '3'),
    [string[]]$Ratio = @('0.95'),
    [string[]]$Recipe = @('cross-entropy|Loss=CrossEntropy; label-preserving|Loss=LabelPreserving'),
    # Settings every recipe gets unless it names them (0: Start-LabelPreservingRetrain's default).
    [int]$Epochs = 0,
    [double]$LearningRate = 0,
    [int]$ReferenceEpochs = 0,
    # How the references are trained: the demo's 4 epochs at a constant 0.05 by default.
    [ValidateSet('Constant', 'Step', 'Cosine')]
    [string]$ReferenceSchedule = 'Constant',
    [ValidateSet('mnist-lenet5', 'uci-digits')]
    [string]$Setup = 'mnist-lenet5',
    [string]$Cache = (Join-Path ([IO.Path]::GetTempPath()) 'condensa-lp-references'),
    [string]$DataDir,
    # Also count mismatches on the training digits (is a shortfall on the test digits a fit or a capacity limit?).
    [switch]$TrainMismatches,
    # Caps each layer's sparsity in the one-shot prune (Invoke-Prune -MaxLayerSparsity); 0 leaves global magnitude uncapped.
    [double]$MaxLayerSparsity = 0,
    # Measures only how far the seeds' references are from each other (each against each, on the test digits), and stops.
    [switch]$ReferenceChurn
)
# A failed step stops the run: carrying on would pair the next rows with the last good (disposed) reference.
$ErrorActionPreference = 'Stop'

# Loop variables below must not share a name with a typed parameter (PowerShell names ignore case).
$seedList = @($Seeds -join ',' -split ',' | ForEach-Object { [int]$_.Trim() })
$sparsities = @($Ratio -join ',' -split ',' | ForEach-Object { [double]::Parse($_.Trim(), [Globalization.CultureInfo]::InvariantCulture) })
$recipeTexts = @($Recipe -join ';' -split ';' | ForEach-Object { $_.Trim() } | Where-Object { $_ })

$repo = Join-Path (Join-Path $PSScriptRoot '..') '..'
if (-not $DataDir) { $DataDir = Join-Path (Join-Path $repo 'data') $(if ($Setup -eq 'uci-digits') { 'uci-digits' } else { 'mnist' }) }
$importArgs = @{}
# The UCI digits' own pixel statistics (pixels scaled to [0, 1]).
if ($Setup -eq 'uci-digits') { $importArgs.Normalize = 0.305, 0.376; if (-not $ReferenceEpochs) { $ReferenceEpochs = 30 } }
elseif (-not $ReferenceEpochs) { $ReferenceEpochs = 4 }
$train = Import-Dataset (Join-Path $DataDir 'train-images-idx3-ubyte.gz') @importArgs
$val = Import-Dataset (Join-Path $DataDir 'val-images-idx3-ubyte.gz') @importArgs
$test = Import-Dataset (Join-Path $DataDir 'test-images-idx3-ubyte.gz') @importArgs
if (-not (Test-Path $Cache)) { $null = [IO.Directory]::CreateDirectory($Cache) }

function New-Reference([int]$seed) {
    if ($Setup -eq 'uci-digits') {
        $initial = Join-Path $Cache "bn-cnn-8x8-s$seed.pt"
        if (-not (Test-Path $initial)) { & /usr/bin/python3 (Join-Path $PSScriptRoot 'make_bn_cnn.py') $Cache $seed | Out-Null }
        $model = Import-Model $initial -Name "bn-cnn-s$seed"
    } else { $model = New-Model -Architecture lenet5 -Seed $seed -Name "lenet5-s$seed" }
    $model | Start-LabelPreservingRetrain -Data $train -Loss CrossEntropy -Epochs $ReferenceEpochs -LearningRate 0.05 -LearningRateSchedule $ReferenceSchedule -Seed $seed
}

function ConvertTo-Value([string]$text) {
    $items = $text -split ','
    $values = foreach ($item in $items) {
        $d = 0.0
        if ([double]::TryParse($item, [Globalization.NumberStyles]::Float, [Globalization.CultureInfo]::InvariantCulture, [ref]$d)) {
            if ($item -match '^-?\d+$') { [int]$item } else { $d }
        } else { $item }
    }
    if ($items.Count -gt 1) { , @($values) } else { $values }
}

$recipes = foreach ($text in $recipeTexts) {
    $parts = $text -split '\|'
    $splat = @{}
    if ($Epochs) { $splat.Epochs = $Epochs }
    if ($LearningRate) { $splat.LearningRate = $LearningRate }
    foreach ($p in $parts[1..($parts.Count)]) {
        if (-not $p) { continue }
        $k, $v = $p -split '=', 2
        # TeacherData names an image file (IDX), imported once with the training data's settings.
        $splat[$k] = if ($k -eq 'TeacherData') { Import-Dataset $v @importArgs } else { ConvertTo-Value $v }
    }
    [pscustomobject]@{ Name = $parts[0]; Splat = $splat }
}

# The seed's reference from the cache, trained and cached the first time.
function Get-Reference([int]$seed) {
    $file = Join-Path $Cache $(if ($ReferenceSchedule -eq 'Constant') { "$Setup-s$seed-e$ReferenceEpochs.cpz" } else { "$Setup-s$seed-e$ReferenceEpochs-$ReferenceSchedule.cpz".ToLowerInvariant() })
    if (Test-Path $file) { $reference = Import-Model $file }
    else {
        $reference = New-Reference $seed
        $reference | Export-Model $file -Format Compact -Force
    }
    $reference.Name = "$Setup-s$seed"
    $reference
}

if ($ReferenceChurn) {
    # How far apart two references are that differ only in their seed: the disagreement a retrained dense model has.
    $references = @($seedList | ForEach-Object { Get-Reference $_ })
    foreach ($a in $references) {
        foreach ($b in $references) {
            if ([object]::ReferenceEquals($a, $b)) { continue }
            $m = Measure-Mismatch -Compressed $b -Reference $a -Data $test
            Write-Host ('reference {0} against {1}: mismatches {2,4}  negative flips {3,3}  positive {4,3}' -f $a.Name, $b.Name, $m.Mismatches, $m.NegativeFlips, $m.PositiveFlips)
        }
    }
    $references | ForEach-Object { $_.Dispose() }
    return
}

$rows = @()
foreach ($sparsity in $sparsities) {
    foreach ($seed in $seedList) {
        $reference = Get-Reference $seed
        $pruneArgs = @{}
        if ($MaxLayerSparsity -gt 0) { $pruneArgs.MaxLayerSparsity = $MaxLayerSparsity }
        $pruned = $reference | Invoke-Prune -Ratio $sparsity -Scope Global @pruneArgs
        $before = Measure-Mismatch -Compressed $pruned -Reference $reference -Data $test
        Write-Host ('ratio {0} seed {1}: reference {2:N2} %, pruned {3:N2} % ({4} mismatches)' -f $sparsity, $seed, (100 * $before.ReferenceAccuracy), (100 * $before.CompressedAccuracy), $before.Mismatches)
        foreach ($r in $recipes) {
            $splat = $r.Splat
            $watch = [Diagnostics.Stopwatch]::StartNew()
            # The recovery's seed is the reference's unless the recipe names one (to see how far the last bits move a case).
            $recovery = @{ Seed = $seed }
            foreach ($key in $splat.Keys) { $recovery[$key] = $splat[$key] }
            $model = $pruned | Start-LabelPreservingRetrain -Data $train -ValidationData $val @recovery
            $seconds = $watch.Elapsed.TotalSeconds
            $m = Measure-Mismatch -Compressed $model -Reference $reference -Data $test
            if ($TrainMismatches) {
                $t = Measure-Mismatch -Compressed $model -Reference $reference -Data $train
                Write-Host ('ratio {0} seed {1} {2,-24} on the {3:N0} training digits: mismatches {4,4}  negative flips {5,3}  positive {6,3}  reference {7:N2} %  accuracy {8:N2} %' -f `
                    $sparsity, $seed, $r.Name, $t.Samples, $t.Mismatches, $t.NegativeFlips, $t.PositiveFlips, (100 * $t.ReferenceAccuracy), (100 * $t.CompressedAccuracy))
            }
            $rows += [pscustomobject]@{ Ratio = $sparsity; Seed = $seed; Recipe = $r.Name; Mismatches = $m.Mismatches; NegativeFlips = $m.NegativeFlips;
                PositiveFlips = $m.PositiveFlips; Accuracy = 100 * $m.CompressedAccuracy; ReferenceAccuracy = 100 * $m.ReferenceAccuracy; Seconds = $seconds }
            Write-Host ('ratio {0} seed {1} {2,-24} mismatches {3,4}  negative flips {4,3}  positive {5,3}  accuracy {6:N2} %  ({7:N1} s)' -f `
                $sparsity, $seed, $r.Name, $m.Mismatches, $m.NegativeFlips, $m.PositiveFlips, (100 * $m.CompressedAccuracy), $seconds)
            $model.Dispose()
        }
        $pruned.Dispose(); $reference.Dispose()
    }
}

function Get-Stats([double[]]$values) {
    $n = $values.Count; $sum = 0.0; foreach ($v in $values) { $sum += $v }
    $mean = $sum / $n; $ss = 0.0; foreach ($v in $values) { $ss += ($v - $mean) * ($v - $mean) }
    [pscustomobject]@{ Mean = $mean; Sd = $(if ($n -gt 1) { [math]::Sqrt($ss / ($n - 1)) } else { 0.0 }) }
}

foreach ($sparsity in $sparsities) {
    Write-Host ''
    Write-Host ("sparsity {0:P0}, seeds {1}; ratios are the first recipe's mean over each recipe's (x fewer), 'every seed' the smallest per-seed ratio" -f $sparsity, ($seedList -join ','))
    Write-Host ('{0,-24} {1,16} {2,16} {3,14} {4,9} {5,9} {6,11} {7,8}' -f 'recipe', 'mismatches', 'negative flips', 'accuracy %', 'x fewer', 'x fewer NF', 'every seed', 'seconds')
    $base = @($rows | Where-Object { $_.Ratio -eq $sparsity -and $_.Recipe -eq $recipes[0].Name })
    foreach ($r in $recipes) {
        $mine = @($rows | Where-Object { $_.Ratio -eq $sparsity -and $_.Recipe -eq $r.Name })
        $mm = Get-Stats @($mine | ForEach-Object { $_.Mismatches }); $nf = Get-Stats @($mine | ForEach-Object { $_.NegativeFlips })
        $acc = Get-Stats @($mine | ForEach-Object { $_.Accuracy }); $sec = Get-Stats @($mine | ForEach-Object { $_.Seconds })
        $bm = (Get-Stats @($base | ForEach-Object { $_.Mismatches })).Mean; $bn = (Get-Stats @($base | ForEach-Object { $_.NegativeFlips })).Mean
        $worst = [double]::PositiveInfinity; $worstNf = [double]::PositiveInfinity
        for ($i = 0; $i -lt $mine.Count; $i++) {
            $worst = [math]::Min($worst, $base[$i].Mismatches / [math]::Max(1, $mine[$i].Mismatches))
            $worstNf = [math]::Min($worstNf, $base[$i].NegativeFlips / [math]::Max(1, $mine[$i].NegativeFlips))
        }
        Write-Host ('{0,-24} {1,16} {2,16} {3,14} {4,9:N2} {5,9:N2} {6,11} {7,8:N1}' -f $r.Name, ('{0:N1} +/- {1:N1}' -f $mm.Mean, $mm.Sd), ('{0:N1} +/- {1:N1}' -f $nf.Mean, $nf.Sd),
            ('{0:N2} +/- {1:N2}' -f $acc.Mean, $acc.Sd), ($bm / [math]::Max(1e-9, $mm.Mean)), ($bn / [math]::Max(1e-9, $nf.Mean)), ('{0:N2}/{1:N2}' -f $worst, $worstNf), $sec.Mean)
        Write-Host ('{0,-24} per seed: {1}' -f '', (($mine | ForEach-Object { '{0}/{1}' -f $_.Mismatches, $_.NegativeFlips }) -join '  '))
    }
}

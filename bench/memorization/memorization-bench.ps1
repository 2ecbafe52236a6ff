<#
.SYNOPSIS
    Times Measure-Memorization: K subset models of LeNet-5 on the 7,000 training digits (2,000 test digits for the
    influences), with 1 and with 2 local workers, and prints the times side by side with the speed-up.

.DESCRIPTION
    Run with the condensa host from the repository root (after dotnet build):
        dotnet run --project src/CondensaPS.Host -- bench/memorization/memorization-bench.ps1
    or src/CondensaPS.Host/bin/Debug/net10.0/condensa bench/memorization/memorization-bench.ps1 [-K 50] [-SpeedupK 10]
    Each configuration trains its K subset models from scratch in a fresh folder, with the same total of torch
    threads (-Threads, default 2: the cores of the machine the figures are for) split among the workers: 1 worker x 2
    threads against 2 workers x 1 thread. -SpeedupK times the two configurations on fewer models (the per-model
    cost is what they compare; default 10), and the full K then runs once with the most workers.
    The recipe of each subset model: LeNet-5 from a fresh seeded initialisation, cross-entropy, -Epochs (default 5)
    epochs of SGD (momentum 0.9) at lr 0.05 with cosine decay, batch 64, on 4,900 of the 7,000 training digits
    (subset ratio 0.7); then it predicts the 7,000 training and 2,000 test digits. -Repeat alternates the
    configurations that many times and keeps each one's best. The load average is printed with the figures: on a
    shared machine they are noisy, the ratio from side-by-side runs less so.
#>
param(
    [int]$K = 50,
    [int[]]$Workers = @(1, 2),
    [int]$Threads = 2,
    [int]$SpeedupK = 10,
    [int]$Repeat = 1,
    [int]$Epochs = 5,
    [string]$OutputRoot = (Join-Path ([System.IO.Path]::GetTempPath()) "condensaps-memorization-bench"),
    # Where the full-K run's folder goes (it is kept: the long-tail experiments read its memorization.json).
    [string]$KeepRun
)
$ErrorActionPreference = 'Stop'
$root = Split-Path -Parent (Split-Path -Parent $PSScriptRoot)
if ($SpeedupK -le 0) { $SpeedupK = $K }
Set-CondensaConfiguration -ThreadCount $Threads
$train = Import-Dataset (Join-Path $root 'data/mnist/train-images-idx3-ubyte.gz')
$test = Import-Dataset (Join-Path $root 'data/mnist/test-images-idx3-ubyte.gz')
$model = New-Model lenet5 -Seed 1
New-Item -ItemType Directory -Force -Path $OutputRoot | Out-Null

function Load { (Get-Content /proc/loadavg -ErrorAction SilentlyContinue) -replace '^(\S+ \S+ \S+).*', '$1' }

function Time-Run([int]$count, [int]$workers, [string]$folder) {
    if (Test-Path $folder) { Remove-Item -Recurse -Force $folder }
    $before = Load
    $watch = [Diagnostics.Stopwatch]::StartNew()
    $result = Measure-Memorization -Model $model -Data $train -TestData $test -SubsetCount $count -Recipe @{ epochs = $Epochs } `
        -ThrottleLimit $workers -WorkerThreadCount ([Math]::Max(1, [int]($Threads / $workers))) -OutputPath $folder
    $watch.Stop()
    [pscustomobject]@{
        Workers = $workers; ThreadsEach = [Math]::Max(1, [int]($Threads / $workers)); K = $count
        Seconds = $watch.Elapsed.TotalSeconds; LoadBefore = $before; LoadAfter = Load; Result = $result
    }
}

Write-Host ("Measure-Memorization benchmark: LeNet-5, {0:N0} training / {1:N0} test digits, subset ratio 0.7, {2} epochs per subset model, {3} torch threads in all; {4} CPU(s)" -f `
    $train.Count, $test.Count, $Epochs, $Threads, [Environment]::ProcessorCount)
$best = @{}
for ($i = 1; $i -le $Repeat; $i++) {
    foreach ($w in $Workers) {
        $run = Time-Run $SpeedupK $w (Join-Path $OutputRoot "speedup-w$w")
        Write-Host ("  round {0}: {1} worker(s) x {2} thread(s), K = {3}: {4:0.0} s ({5:0.0} s per model; load {6} -> {7})" -f `
            $i, $w, $run.ThreadsEach, $SpeedupK, $run.Seconds, ($run.Seconds / $SpeedupK), $run.LoadBefore, $run.LoadAfter)
        if (-not $best.ContainsKey($w) -or $run.Seconds -lt $best[$w].Seconds) { $best[$w] = $run }
    }
}
$one = $best[($Workers | Sort-Object | Select-Object -First 1)]
Write-Host ""
Write-Host ("{0,-28} {1,10} {2,14} {3,10}" -f "configuration (K = $SpeedupK)", "seconds", "s per model", "speed-up")
foreach ($w in ($Workers | Sort-Object)) {
    $b = $best[$w]
    Write-Host ("{0,-28} {1,10:0.0} {2,14:0.00} {3,9:0.00}x" -f "$w worker(s) x $($b.ThreadsEach) thread(s)", $b.Seconds, ($b.Seconds / $SpeedupK), ($one.Seconds / $b.Seconds))
}

$most = ($Workers | Measure-Object -Maximum).Maximum
$full = if ($SpeedupK -eq $K) { $best[$most] } else {
    $folder = if ($KeepRun) { $KeepRun } else { Join-Path $OutputRoot "full" }
    Time-Run $K $most $folder
}
if ($KeepRun -and $SpeedupK -eq $K) {
    if (Test-Path $KeepRun) { Remove-Item -Recurse -Force $KeepRun }
    Copy-Item -Recurse $full.Result.Folder $KeepRun
}
$r = $full.Result
Write-Host ""
Write-Host ("K = {0} with {1} worker(s): {2:0.0} s ({3:0.0} min; load {4} -> {5}). {6} of {7} models used; mean accuracy on their subsets {8:P2}, on the test digits {9:P2}." -f `
    $K, $most, $full.Seconds, ($full.Seconds / 60), $full.LoadBefore, $full.LoadAfter, $r.ModelsUsed, $r.SubsetCount, $r.MeanSubsetAccuracy, $r.MeanTestAccuracy)
Write-Host ("Memorisation: mean {0:0.000}, mean standard error {1:0.000}, split-half correlation {2:0.000}, {3} example(s) at 0.5 or more, {4} undefined." -f `
    $r.MeanMemorization, $r.MeanStandardError, $r.SplitHalfCorrelation, $r.HighlyMemorized, $r.Undefined)
if ($KeepRun) { Write-Host "Kept the K = $K run in $KeepRun" }

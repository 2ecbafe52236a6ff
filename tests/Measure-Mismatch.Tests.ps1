# Pester 5 suite for Measure-Mismatch (the xUnit module twin: tests/CondensaPS.Module.Tests/RetrainCmdletTests.cs).
# Run alone: .tools/pwsh/pwsh tests/Invoke-PesterSuites.ps1 tests/Measure-Mismatch.Tests.ps1
BeforeAll {
    . "$PSScriptRoot/Pester.Helpers.ps1"
    $val = Import-Dataset (Join-Path $Mnist 'val-images-idx3-ubyte.gz') -First 200
}

Describe 'Measure-Mismatch' {
    It 'compares a pruned model with its recorded reference: counts, indices, accuracies, per-class rates, confusion' {
        $ref = New-Model lenet5 -Seed 2
        $report = $ref | Invoke-Prune -Ratio 0.9 | Measure-Mismatch -Data $val
        $report.Samples | Should -Be 200
        $report.Mismatches | Should -Be $report.MismatchIndices.Count
        $report.MismatchesReferenceRight | Should -BeLessOrEqual $report.Mismatches
        $report.MismatchRate | Should -Be ($report.Mismatches / 200)
        $report.ClassMismatchRates.Count | Should -Be 10
        $report.Confusion.Count | Should -Be 10
        $agree = 0; for ($i = 0; $i -lt 10; $i++) { $agree += $report.Confusion[$i][$i] }
        $agree | Should -Be (200 - $report.Mismatches)
    }

    It 'finds no mismatch between a model and itself given as -Reference' {
        $m = New-Model lenet5 -Seed 3
        $report = Measure-Mismatch -Reference $m -Compressed $m -Data $val
        $report.Mismatches | Should -Be 0
        $report.ReferenceAccuracy | Should -Be $report.CompressedAccuracy
    }

    It 'reports negative and positive flips, their rates and the negative flip impact, per class too' {
        $train = Import-Dataset (Join-Path $Mnist 'train-images-idx3-ubyte.gz') -First 256
        $t = New-Model lenet5 -Seed 2 | Invoke-Prune -Ratio 0.95 | Start-LabelPreservingRetrain -Data $train -Epochs 1 -Seed 1 -Loss CrossEntropy
        $r = $t | Measure-Mismatch -Data $val
        $r.NegativeFlips | Should -Be $r.MismatchesReferenceRight
        $r.NegativeFlipRate | Should -Be ($r.NegativeFlips / $r.Samples)
        $r.PositiveFlips | Should -BeLessOrEqual ($r.Mismatches - $r.NegativeFlips)
        $r.PositiveFlipRate | Should -Be ($r.PositiveFlips / $r.Samples)
        if ($r.CompressedAccuracy -lt 1) { $r.NegativeFlipImpact | Should -Be ($r.NegativeFlipRate / (1 - $r.CompressedAccuracy)) }
        $r.PerClass.Count | Should -Be 10
        ($r.PerClass | Measure-Object -Property NegativeFlips -Sum).Sum | Should -Be $r.NegativeFlips
        ($r.PerClass | Measure-Object -Property PositiveFlips -Sum).Sum | Should -Be $r.PositiveFlips
        ($r.PerClass | Measure-Object -Property Mismatches -Sum).Sum | Should -Be $r.Mismatches
    }

    It 'needs a reference' {
        { New-Model lenet5 -Seed 3 | Measure-Mismatch -Data $val -ErrorAction Stop } |
            Should -Throw -ErrorId 'ReferenceRequired,CondensaPS.Cmdlets.MeasureMismatchCommand'
    }

    It 'draws the confusion as a heat map with -ChartPath (PNG and SVG), refuses to overwrite without -Force, and -WhatIf writes none' {
        $dir = New-TestFolder
        $pruned = New-Model lenet5 -Seed 2 | Invoke-Prune -Ratio 0.9
        $report = $pruned | Measure-Mismatch -Data $val -ChartPath (Join-Path $dir 'c.png')
        $report.Samples | Should -Be 200
        Join-Path $dir 'c.png' | Should -Exist
        Join-Path $dir 'c.svg' | Should -Exist
        (Get-ErrorRecord { $pruned | Measure-Mismatch -Data $val -ChartPath (Join-Path $dir 'c.png') }).FullyQualifiedErrorId | Should -BeLike 'OutputExists,*'
        $pruned | Measure-Mismatch -Data $val -ChartPath (Join-Path $dir 'c.png') -Force | Should -Not -BeNullOrEmpty
        $pruned | Measure-Mismatch -Data $val -ChartPath (Join-Path $dir 'd.png') -WhatIf | Should -Not -BeNullOrEmpty
        Join-Path $dir 'd.png' | Should -Not -Exist
    }
}

Describe 'Measure-Mismatch -Score' {
    BeforeAll {
        $reference = New-Model lenet5 -Seed 2
        $pruned = $reference | Invoke-Prune -Ratio 0.9
        # A made-up score per sample: its class (any per-sample score works, a class frequency, a loss).
        $classScore = $val.GetLabels() | ForEach-Object { [double]$_ }
    }

    It 'breaks mismatches and flips down by score bucket, with correlations and the top flipped samples' {
        $r = $pruned | Measure-Mismatch -Data $val -Score $classScore -ScoreBuckets 4 -TopFlipped 3
        $b = $r.ByScore
        $b.Score | Should -Be 'score'
        $b.Scored | Should -Be 200
        ($b.Buckets | Measure-Object -Property Samples -Sum).Sum | Should -Be 200
        ($b.Buckets | Measure-Object -Property Mismatches -Sum).Sum | Should -Be $r.Mismatches
        ($b.Buckets | Measure-Object -Property NegativeFlips -Sum).Sum | Should -Be $r.NegativeFlips
        $b.NegativeFlipCorrelation.Samples | Should -Be 200
        $b.TopFlipped.Count | Should -BeLessOrEqual 3
        if ($b.TopFlipped.Count -gt 1) { $b.TopFlipped[0].Score | Should -BeGreaterOrEqual $b.TopFlipped[1].Score }
        $b.BucketTable() | Should -BeLike '*negative flips*'
    }

    It 'buckets at fixed edges' {
        $b = ($pruned | Measure-Mismatch -Data $val -Score $classScore -ScoreBucketEdges 3, 7).ByScore
        $b.Buckets.Range | Should -Be @('(-inf, 3)', '[3, 7)', '[7, inf)')
    }

    It 'refuses a score count that is not the sample count, and edges that do not increase' {
        (Get-ErrorRecord { $pruned | Measure-Mismatch -Data $val -Score (1..10) }).FullyQualifiedErrorId | Should -BeLike 'ScoreCountMismatch,*'
        (Get-ErrorRecord { $pruned | Measure-Mismatch -Data $val -Score $classScore -ScoreBucketEdges 5, 2 }).FullyQualifiedErrorId | Should -BeLike 'ScoreBucketEdgesInvalid,*'
    }

    It 'draws the rates by bucket with -ScoreChartPath (PNG and SVG)' {
        $dir = New-TestFolder
        $pruned | Measure-Mismatch -Data $val -Score $classScore -ScoreChartPath (Join-Path $dir 'tail.png') | Should -Not -BeNullOrEmpty
        Join-Path $dir 'tail.png' | Should -Exist
        Join-Path $dir 'tail.svg' | Should -Exist
        (Get-ErrorRecord { $pruned | Measure-Mismatch -Data $val -Score $classScore -ScoreChartPath (Join-Path $dir 'tail.png') }).FullyQualifiedErrorId | Should -BeLike 'OutputExists,*'
    }
}

Describe 'Measure-Mismatch error rules' {
    It 'reports a model without a reference as a non-terminating error' {
        $val = Import-Dataset (Join-Path $Mnist 'val-images-idx3-ubyte.gz') -First 16
        $Error.Clear()
        $out = New-Model lenet5 | Measure-Mismatch -Data $val -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $Error[0].FullyQualifiedErrorId | Should -Be 'ReferenceRequired,CondensaPS.Cmdlets.MeasureMismatchCommand'
    }
}

# Pester 5 suite for Find-CompressionStrategy (the xUnit module twins: tests/CondensaPS.Module.Tests/FindCompressionStrategyTests.cs
# and SearchRecoveryTests.cs). Run alone: .tools/pwsh/pwsh tests/Invoke-PesterSuites.ps1 tests/Find-CompressionStrategy.Tests.ps1
BeforeAll {
    . "$PSScriptRoot/Pester.Helpers.ps1"
    $strategy = Join-Path $Strategies 'search-lenet5-label-preserving.yaml'
    $val = Import-Dataset (Join-Path $Mnist 'val-images-idx3-ubyte.gz') -First 100
}

Describe 'Find-CompressionStrategy' {
    It 'refuses a range outside 0..1 before any trial' {
        $out = Join-Path (New-TestFolder) 's'
        $e = Get-ErrorRecord { New-Model lenet5 -Seed 1 | Find-CompressionStrategy -Path $strategy -ValidationData $val -Range @{ ratio = 0.5, 1.5 } -OutputPath $out }
        $e.FullyQualifiedErrorId | Should -BeLike 'SearchRangeOutsideUnit,*'
        $e.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $out | Should -Not -Exist
    }

    It 'refuses a minimum above the maximum' {
        $e = Get-ErrorRecord { New-Model lenet5 -Seed 1 | Find-CompressionStrategy -Path $strategy -ValidationData $val -Range @{ ratio = 0.9, 0.6 } -OutputPath (Join-Path (New-TestFolder) 's') }
        $e.FullyQualifiedErrorId | Should -BeLike 'SearchRangeReversed,*'
    }

    It 'refuses an unknown objective in the parameter binder' {
        $e = Get-ErrorRecord { New-Model lenet5 -Seed 1 | Find-CompressionStrategy -Path $strategy -ValidationData $val -Objective Flops }
        $e.FullyQualifiedErrorId | Should -BeLike 'CannotConvertArgumentNoMessage,*'
    }

    It 'says that no Slurm is reachable before anything is submitted' {
        $out = Join-Path (New-TestFolder) 'slurm'
        $env:CONDENSAPS_SLURM_BIN = New-TestFolder
        try {
            $e = Get-ErrorRecord { New-Model lenet5 -Seed 1 | Find-CompressionStrategy -Path $strategy -ValidationData $val -Executor Slurm -OutputPath $out }
        }
        finally { $env:CONDENSAPS_SLURM_BIN = $null }
        $e.FullyQualifiedErrorId | Should -BeLike 'SlurmUnavailable,*'
        $e.Exception.Message | Should -BeLike '*Nothing was submitted*'
        $out | Should -Not -Exist
    }

    It 'names the file, line and column of a bad search: section' {
        $file = Join-Path (New-TestFolder) 'bad-search.yaml'
        Set-Content -LiteralPath $file -Value "version: 1`nname: s`nparameters:`n  ratio: 0.5`nsearch:`n  parameters:`n    ratio: { min: 0.5, max: 0.9 }`n  constraints: { accuracy-drop: 1 }`n  objective: flops`nsteps:`n  - prune: { ratio: `"`${ratio}`" }"
        $e = Get-ErrorRecord { New-Model lenet5 -Seed 1 | Find-CompressionStrategy -Path $file -ValidationData $val }
        $e.FullyQualifiedErrorId | Should -BeLike 'StrategyInvalidSearch,*'
        $e.CategoryInfo.Category | Should -Be 'InvalidData'
        $e.Exception.Message | Should -BeLike "$($file):9:14: unknown objective 'flops'*"
    }

    It 'returns a result that says so, with the closest trial, when no trial meets the constraint' {
        $file = Join-Path (New-TestFolder) 'prune.yaml'
        Set-Content -LiteralPath $file -Value "version: 1`nname: prune-only`nparameters:`n  ratio: 0.5`nsteps:`n  - prune: { ratio: `"`${ratio}`", scope: global }"
        $out = @(New-Model lenet5 -Seed 1 | Find-CompressionStrategy -Path $file -ValidationData $val -Range @{ ratio = 0.9, 0.99, 0.01 } -MaxAccuracyDrop -50 -MaxTrials 1 -OutputPath (Join-Path (New-TestFolder) 's') -WarningVariable warned -WarningAction SilentlyContinue)
        $result = $out[-1]
        $result.GetType().Name | Should -Be 'SearchResult'
        $result.Feasible | Should -BeFalse
        $result.Message | Should -BeLike 'No trial met accuracy-drop <= -50*closest was trial 1*'
        $result.BestTrial.Number | Should -Be 1
        $result.BestModel | Should -BeNullOrEmpty
        $result.BestStrategyPath | Should -BeNullOrEmpty
        "$warned" | Should -BeLike 'No trial met*'
    }

    It 'records a trial that throws with its error and goes on with the search' {
        $file = Join-Path (New-TestFolder) 'throws.yaml'
        Set-Content -LiteralPath $file -Value "version: 1`nname: throws`nparameters:`n  ratio: 0.5`nsteps:`n  - prune: { ratio: `"`${ratio}`", include: [no-such-layer.*] }"
        $out = @(New-Model lenet5 -Seed 1 | Find-CompressionStrategy -Path $file -ValidationData $val -Range @{ ratio = 0.5, 0.9 } -MaxMismatchRate 0.5 -MaxTrials 2 -ThrottleLimit 2 -OutputPath (Join-Path (New-TestFolder) 's') -WarningAction SilentlyContinue)
        $trials = @($out | Where-Object { $_.GetType().Name -eq 'SearchTrial' })
        $trials.Count | Should -Be 2
        foreach ($t in $trials) {
            "$($t.Status)" | Should -Be 'Failed'
            $t.ErrorId | Should -Be 'NothingToPrune'
            $t.Error | Should -Not -BeNullOrEmpty
        }
        $out[-1].Feasible | Should -BeFalse
        $out[-1].Message | Should -BeLike 'No trial produced figures*'
    }

    It 'resumes a search from its journal without running its finished trials again' {
        $file = Join-Path (New-TestFolder) 'prune.yaml'
        Set-Content -LiteralPath $file -Value "version: 1`nname: prune-only`nparameters:`n  ratio: 0.5`nsteps:`n  - prune: { ratio: `"`${ratio}`", scope: global }"
        $model = New-Model lenet5 -Seed 1
        $folder = Join-Path (New-TestFolder) 's'
        # A bound no trial meets keeps the level-set stage going, so the resumed search always has a trial to run.
        $search = @{ Path = $file; Model = $model; ValidationData = $val; Range = @{ ratio = 0.5, 0.99, 0.01 }; MaxAccuracyDrop = -50; OutputPath = $folder; WarningAction = 'SilentlyContinue' }
        $first = @(Find-CompressionStrategy @search -MaxTrials 1)[-1]
        $first.TrialsRun | Should -Be 1
        $journal = Get-Content -LiteralPath $first.JournalPath
        $journal.Count | Should -Be 2
        (Get-ErrorRecord { Find-CompressionStrategy @search -MaxTrials 2 }).FullyQualifiedErrorId | Should -BeLike 'SearchExists,*'
        $resumed = @(Find-CompressionStrategy @search -MaxTrials 2 -Resume)
        $result = $resumed[-1]
        $result.TrialsResumed | Should -Be 1
        $result.TrialsRun | Should -Be 1
        $result.Trials.Count | Should -Be 2
        $resumed[0].Number | Should -Be 1   # the journaled trial streams again, read back rather than rerun
        ((Get-Content -LiteralPath $result.JournalPath | Select-Object -First 2) -join "`n") | Should -Be ($journal -join "`n")
    }

    It 'writes nothing with -WhatIf' {
        $out = Join-Path (New-TestFolder) 'w'
        New-Model lenet5 -Seed 1 | Find-CompressionStrategy -Path $strategy -ValidationData $val -OutputPath $out -WhatIf | Should -BeNullOrEmpty
        $out | Should -Not -Exist
    }

    It 'streams trials, then a result whose strategy replays to its best model' {
        $train = Import-Dataset (Join-Path $Mnist 'train-images-idx3-ubyte.gz') -First 1000
        $reference = New-Model lenet5 -Seed 3 | Start-LabelPreservingRetrain -Data $train -Loss CrossEntropy -Epochs 3 -LearningRate 0.05 -Seed 3
        # Workers with this session's thread count, so that the replay here repeats the trial's arithmetic.
        $threads = (Get-CondensaConfiguration).ThreadCount
        $out = @(Find-CompressionStrategy -Path $strategy -Model $reference -Data $train -ValidationData $val -MaxAccuracyDrop 30 -MaxTrials 2 -WorkerThreadCount $threads -OutputPath (Join-Path (New-TestFolder) 's'))
        $out.Count | Should -Be 3
        $out[0].GetType().Name | Should -Be 'SearchTrial'
        $result = $out[-1]
        $result.GetType().Name | Should -Be 'SearchResult'
        $result.Feasible | Should -BeTrue
        $result.TrialsRun | Should -Be 2
        $result.ChartPaths | ForEach-Object { $_ | Should -Exist }
        $svg = Get-Content -Raw -LiteralPath ($result.ChartPaths | Where-Object { $_ -like '*.svg' })
        foreach ($legend in 'GP mean', 'GP 95% band', 'bound 30', 'estimated boundary') { $svg | Should -BeLike "*$legend*" }
        $replayed = Invoke-CompressionStrategy -Path $result.BestStrategyPath -Model $reference -Data $train -ValidationData $val
        [CondensaPS.Engine.Models.ModelComparison]::Identical($replayed, $result.BestModel) | Should -BeTrue
    }
}

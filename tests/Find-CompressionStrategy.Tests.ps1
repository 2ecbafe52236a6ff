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
        $replayed = Invoke-CompressionStrategy -Path $result.BestStrategyPath -Model $reference -Data $train -ValidationData $val
        [CondensaPS.Engine.Models.ModelComparison]::Identical($replayed, $result.BestModel) | Should -BeTrue
    }
}

# Find-CompressionStrategy as a pwsh user relies on it: bad settings are parameter errors with stable ErrorIds,
# -WhatIf writes nothing, a small search streams its trials and ends with a result whose strategy replays.
BeforeAll {
    $repo = Split-Path -Parent $PSScriptRoot
    Import-Module (Join-Path $repo 'out/CondensaPS/CondensaPS.psd1') -Force
    $mnist = Join-Path $repo 'data/mnist'
    $strategy = Join-Path $repo 'examples/strategies/search-lenet5-label-preserving.yaml'
    $val = Import-Dataset (Join-Path $mnist 'val-images-idx3-ubyte.gz') -First 100
}

Describe 'Find-CompressionStrategy' {
    It 'refuses a range outside 0..1 before any trial' {
        { New-Model lenet5 -Seed 1 | Find-CompressionStrategy -Path $strategy -ValidationData $val -Range @{ ratio = 0.5, 1.5 } -OutputPath (Join-Path $TestDrive 's') -ErrorAction Stop } |
            Should -Throw -ErrorId 'SearchRangeOutsideUnit,CondensaPS.Cmdlets.FindCompressionStrategyCommand'
        Join-Path $TestDrive 's' | Should -Not -Exist
    }

    It 'refuses a minimum above the maximum' {
        { New-Model lenet5 -Seed 1 | Find-CompressionStrategy -Path $strategy -ValidationData $val -Range @{ ratio = 0.9, 0.6 } -OutputPath (Join-Path $TestDrive 's') -ErrorAction Stop } |
            Should -Throw -ErrorId 'SearchRangeReversed,CondensaPS.Cmdlets.FindCompressionStrategyCommand'
    }

    It 'refuses an unknown objective in the parameter binder' {
        { New-Model lenet5 -Seed 1 | Find-CompressionStrategy -Path $strategy -ValidationData $val -Objective Flops -ErrorAction Stop } |
            Should -Throw -ErrorId 'CannotConvertArgumentNoMessage,CondensaPS.Cmdlets.FindCompressionStrategyCommand'
    }

    It 'says clearly that no Slurm is reachable, before anything is submitted' {
        $env:CONDENSAPS_SLURM_BIN = $TestDrive
        try {
            { New-Model lenet5 -Seed 1 | Find-CompressionStrategy -Path $strategy -ValidationData $val -Executor Slurm -OutputPath (Join-Path $TestDrive 'slurm') -ErrorAction Stop } |
                Should -Throw -ErrorId 'SlurmUnavailable,CondensaPS.Cmdlets.FindCompressionStrategyCommand'
        }
        finally { $env:CONDENSAPS_SLURM_BIN = $null }
        Join-Path $TestDrive 'slurm' | Should -Not -Exist
    }

    It 'writes nothing with -WhatIf' {
        New-Model lenet5 -Seed 1 | Find-CompressionStrategy -Path $strategy -ValidationData $val -OutputPath (Join-Path $TestDrive 'w') -WhatIf | Should -BeNullOrEmpty
        Join-Path $TestDrive 'w' | Should -Not -Exist
    }

    It 'streams trials, then a result whose strategy replays to its best model' {
        $train = Import-Dataset (Join-Path $mnist 'train-images-idx3-ubyte.gz') -First 1000
        $reference = New-Model lenet5 -Seed 3 | Start-LabelPreservingRetrain -Data $train -Loss CrossEntropy -Epochs 3 -LearningRate 0.05 -Seed 3
        $threads = (Get-CondensaConfiguration).ThreadCount
        $out = @(Find-CompressionStrategy -Path $strategy -Model $reference -Data $train -ValidationData $val -MaxAccuracyDrop 30 -MaxTrials 2 -WorkerThreadCount $threads -OutputPath (Join-Path $TestDrive 'search'))
        $out.Count | Should -Be 3
        $out[0].GetType().Name | Should -Be 'SearchTrial'
        $result = $out[-1]
        $result.GetType().Name | Should -Be 'SearchResult'
        $result.Feasible | Should -BeTrue
        $result.ChartPaths | ForEach-Object { $_ | Should -Exist }
        $replayed = Invoke-CompressionStrategy -Path $result.BestStrategyPath -Model $reference -Data $train -ValidationData $val
        [CondensaPS.Engine.Models.ModelComparison]::Identical($replayed, $result.BestModel) | Should -BeTrue
    }
}

Describe 'Measure-Mismatch -ChartPath' {
    It 'writes the confusion heat map as PNG and SVG, and -WhatIf writes none' {
        $pruned = New-Model lenet5 -Seed 2 | Invoke-Prune -Ratio 0.9
        $report = Measure-Mismatch -Compressed $pruned -Data $val -ChartPath (Join-Path $TestDrive 'c.png')
        $report.Samples | Should -Be 100
        Join-Path $TestDrive 'c.png' | Should -Exist
        Join-Path $TestDrive 'c.svg' | Should -Exist
        Measure-Mismatch -Compressed $pruned -Data $val -ChartPath (Join-Path $TestDrive 'd.png') -WhatIf | Out-Null
        Join-Path $TestDrive 'd.png' | Should -Not -Exist
    }
}

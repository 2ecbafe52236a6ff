# Pester 5 suite for Measure-Model (the xUnit module twins: tests/CondensaPS.Module.Tests/CompactModuleTests.cs and
# StrategyWithDataTests.cs). Run alone: .tools/pwsh/pwsh tests/Invoke-PesterSuites.ps1 tests/Measure-Model.Tests.ps1
BeforeAll {
    . "$PSScriptRoot/Pester.Helpers.ps1"
}

Describe 'Measure-Model' {
    It 'reports sane figures' {
        $r = New-Model -Architecture lenet5 -Seed 2 | Measure-Model -BatchSize 4 -Iterations 4 -Warmup 1
        $r.LatencyP50Ms | Should -BeGreaterThan 0
        $r.LatencyP50Ms | Should -BeLessOrEqual $r.LatencyP95Ms
        $r.Throughput | Should -BeGreaterThan 0
        $r.TrainingThroughput | Should -BeGreaterThan 0
        $r.CompactBytes | Should -BeGreaterThan 0
        $r.Speedup | Should -BeNullOrEmpty
    }

    It 'adds speedup and size ratio with a reference' {
        $ref = New-Model -Architecture lenet5 -Seed 1 -Name ref
        $r = New-Model -Architecture lenet5 -Seed 2 | Measure-Model -Reference $ref -Iterations 3 -Warmup 0 -SkipTraining
        $r.Reference | Should -Be 'ref'
        $r.Speedup | Should -BeGreaterThan 0
        $r.SizeRatio | Should -BeGreaterThan 0
        $r.TrainingThroughput | Should -BeNullOrEmpty
    }

    It 'needs -InputShape for TorchScript models' {
        $fixture = Fixture 'compact/tiny_convnet.pt'
        { Import-Model -Path $fixture | Measure-Model -Iterations 2 -ErrorAction Stop } | Should -Throw -ErrorId 'InputShapeRequired,*'
        (Import-Model -Path $fixture | Measure-Model -InputShape 1, 8, 8 -Iterations 2 -Warmup 0).InputShape | Should -Be @(1, 8, 8)
    }

    It 'times the model on the samples of -Data' {
        $val = Import-Dataset (Join-Path $Mnist 'val-images-idx3-ubyte.gz') -First 128
        $m = New-Model lenet5 -Seed 1 | Measure-Model -Data $val -BatchSize 8 -Iterations 2 -Warmup 0 -SkipTraining
        $m.InputShape | Should -Be @(1, 28, 28)
        $m.Throughput | Should -BeGreaterThan 0
    }
}

Describe 'Multiply-accumulates' {
    It 'are counted once a TorchScript model knows its input shape' {
        $m = Import-Model (Fixture 'lenet5_scripted.pt')
        $m.Macs | Should -BeNullOrEmpty
        $m.InputShape = 1, 28, 28
        $m.Macs | Should -Be 416520
    }

    It 'are reported by Measure-Model' {
        $m = Import-Model (Fixture 'lenet5_scripted.pt')
        (Measure-Model $m -InputShape 1,28,28 -Iterations 2 -Warmup 0 -SkipTraining).Macs | Should -Be 416520
    }
}

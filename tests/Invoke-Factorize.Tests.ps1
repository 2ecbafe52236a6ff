# Pester 5 suite for Invoke-Factorize (the xUnit module twin: tests/CondensaPS.Module.Tests/CompressionCmdletTests.cs).
# Run alone: .tools/pwsh/pwsh tests/Invoke-PesterSuites.ps1 tests/Invoke-Factorize.Tests.ps1
BeforeAll {
    . "$PSScriptRoot/Pester.Helpers.ps1"
}

Describe 'Invoke-Factorize' {
    It 'replaces a linear layer by two thinner ones at -Rank, leaving the input untouched' {
        $m = New-Model -Architecture lenet5-caffe -Seed 1
        $f = $m | Invoke-Factorize -Rank 16 -Include fc1.weight
        @($f | Get-ModelLayer -Name 'fc1*').Parameter | Should -Be @('fc1.0.weight', 'fc1.1.weight')
        $f.Parameters | Should -Be ($m.Parameters - 400000 + 16 * (800 + 500))
        @($m | Get-ModelLayer -Name 'fc1*').Parameter | Should -Be @('fc1.weight')
        $f.History[-1].Operation | Should -Be 'factorize'
        $f.Architecture | Should -Be 'lenet5-caffe'
    }

    It 'splits convolutions into a Tucker-2 triple at an -Energy share' {
        $f = New-Model -Architecture lenet5-caffe -Seed 1 | Invoke-Factorize -Energy 0.9 -Include conv2.weight
        @($f | Get-ModelLayer -Name 'conv2*').Count | Should -Be 3
        $f.History[-1].Results['layers'][0]['kind'] | Should -Be 'tucker2'
        $f.History[-1].Results['layers'][0]['energy'] | Should -BeGreaterOrEqual 0.9
    }

    It 'shows fewer MACs in Measure-Model' {
        $m = New-Model -Architecture lenet5-caffe -Seed 1
        $f = $m | Invoke-Factorize -Rank 10 -Include conv2.weight, fc1.weight
        $r = $f | Measure-Model -Reference $m -Iterations 2 -Warmup 0 -SkipTraining
        $r.ReferenceMeasurement.Macs | Should -Be 2293000
        $r.Macs | Should -BeLessThan 600000
        $r.MacsRatio | Should -BeGreaterThan 3
    }

    It 'refuses a rank above the layer''s, naming the value' {
        $e = Get-ErrorRecord { New-Model -Architecture lenet5-caffe | Invoke-Factorize -Rank 600 -Include fc1.weight }
        $e.FullyQualifiedErrorId | Should -BeLike 'InvalidStepSetting,*'
        $e.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $e.Exception.Message | Should -BeLike '*600 is above the largest rank*500*'
    }

    It 'refuses TorchScript models with FactorizeNeedsBuiltIn' {
        $e = Get-ErrorRecord { Import-Model -Path (Fixture 'compact/tiny_convnet.pt') | Invoke-Factorize -Rank 2 }
        $e.FullyQualifiedErrorId | Should -BeLike 'FactorizeNeedsBuiltIn,*'
    }
}

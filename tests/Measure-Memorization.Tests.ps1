# Pester 5 suite for Measure-Memorization (the xUnit module twin: tests/CondensaPS.Module.Tests/MeasureMemorizationTests.cs).
# Run alone: .tools/pwsh/pwsh tests/Invoke-PesterSuites.ps1 tests/Measure-Memorization.Tests.ps1
BeforeAll {
    . "$PSScriptRoot/Pester.Helpers.ps1"
    $train = Import-Dataset (Join-Path $Mnist 'train-images-idx3-ubyte.gz') -First 300
    $test = Import-Dataset (Join-Path $Mnist 'test-images-idx3-ubyte.gz') -First 100
    $model = New-Model lenet5 -Seed 1
}

Describe 'Measure-Memorization' {
    It 'refuses K below 2 before any model trains' {
        $out = Join-Path (New-TestFolder) 'run'
        $e = Get-ErrorRecord { Measure-Memorization -Model $model -Data $train -SubsetCount 1 -OutputPath $out }
        $e.FullyQualifiedErrorId | Should -BeLike 'TooFewSubsets,*'
        $e.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $out | Should -Not -Exist
    }

    It 'refuses a subset ratio outside (0, 1)' {
        foreach ($ratio in 0, 1, 1.5, -0.1) {
            $e = Get-ErrorRecord { Measure-Memorization -Model $model -Data $train -SubsetCount 3 -SubsetRatio $ratio -OutputPath (Join-Path (New-TestFolder) 'run') }
            $e.FullyQualifiedErrorId | Should -BeLike 'SubsetRatioOutOfRange,*'
        }
    }

    It 'refuses a recipe whose loss needs a reference, and unknown recipe keys' {
        (Get-ErrorRecord { Measure-Memorization -Model $model -Data $train -SubsetCount 3 -Recipe @{ loss = 'distillation' } }).FullyQualifiedErrorId | Should -BeLike 'RecipeNeedsReference,*'
        (Get-ErrorRecord { Measure-Memorization -Model $model -Data $train -SubsetCount 3 -Recipe @{ epoch = 2 } }).FullyQualifiedErrorId | Should -BeLike 'InvalidStepSetting,*'
    }

    It 'writes nothing with -WhatIf' {
        $out = Join-Path (New-TestFolder) 'w'
        Measure-Memorization -Model $model -Data $train -SubsetCount 3 -OutputPath $out -WhatIf | Should -BeNullOrEmpty
        $out | Should -Not -Exist
    }

    It 'trains K subset models in workers and returns scores per training and test example, saved to a file' {
        $out = Join-Path (New-TestFolder) 'run'
        $r = Measure-Memorization -Model $model -Data $train -TestData $test -SubsetCount 3 -Recipe @{ epochs = 1 } -ThrottleLimit 2 -OutputPath $out
        $r.GetType().Name | Should -Be 'MemorizationResult'
        $r.ModelsUsed | Should -Be 3
        $r.FailedModels.Count | Should -Be 0
        $r.Training.Count | Should -Be 300
        $r.Test.Count | Should -Be 100
        $r.Training[0].ModelsIn + $r.Training[0].ModelsOut | Should -Be 3
        $r.Test[0].TopInfluences.Count | Should -Be 5
        $r.Path | Should -Exist
        (Get-Content $r.Path -Raw | ConvertFrom-Json).training.count | Should -Be 300
        $again = Measure-Memorization -Model $model -Data $train -TestData $test -SubsetCount 3 -Recipe @{ epochs = 1 } -OutputPath $out -Resume
        $again.ModelsResumed | Should -Be 3
        $again.ModelsRun | Should -Be 0
        (Get-ErrorRecord { Measure-Memorization -Model $model -Data $train -TestData $test -SubsetCount 3 -Recipe @{ epochs = 1 } -OutputPath $out }).FullyQualifiedErrorId | Should -BeLike 'MemorizationRunExists,*'
    }
}

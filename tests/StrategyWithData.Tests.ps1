# Pester 5 suite: strategies that retrain and count mismatches on data; Measure-Model on real samples.
# Mirrors tests/CondensaPS.Module.Tests/StrategyWithDataTests.cs.
BeforeAll {
    Import-Module "$PSScriptRoot/../out/CondensaPS/CondensaPS.psd1" -Force
    $mnist = Join-Path $PSScriptRoot '..' 'data' 'mnist'
    $train = Import-Dataset (Join-Path $mnist 'train-images-idx3-ubyte.gz') -First 512
    $val = Import-Dataset (Join-Path $mnist 'val-images-idx3-ubyte.gz') -First 128
}

Describe 'A label-preserving strategy with data' {
    It 'retrains on -Data and records the mismatches Measure-Mismatch counts on -ValidationData' {
        $reference = New-Model lenet5 -Seed 7 | Start-LabelPreservingRetrain -Data $train -Loss CrossEntropy -Epochs 1
        $out = Invoke-CompressionStrategy -Path "$PSScriptRoot/../examples/strategies/prune95-label-preserving.yaml" `
            -Model $reference -Data $train -ValidationData $val -Parameters @{ epochs = 1 }
        ($out.History | ForEach-Object { $_.Operation }) -join ',' | Should -Be 'retrain,prune,retrain,measure'
        $last = $out.History[$out.History.Count - 1]
        $last.Results['samples'] | Should -Be 128
        $last.Results['mismatches'] | Should -Be (Measure-Mismatch -Reference $reference -Compressed $out -Data $val).Mismatches
        $out.Sparsity | Should -BeGreaterThan 0.9
    }

    It 'says what is missing when mismatch: true has no data' {
        $reference = New-Model lenet5 -Seed 7
        $pruned = $reference | Invoke-Prune -Ratio 0.5
        $path = Join-Path $TestDrive 'm.yaml'
        Set-Content -Path $path -Value "version: 1`nname: m`nsteps:`n  - measure: { mismatch: true, iterations: 1, training: false }"
        { Invoke-CompressionStrategy -Path $path -Model $pruned -ErrorAction Stop } |
            Should -Throw -ErrorId 'MeasureMismatchNeedsData*'
    }
}

Describe 'Measure-Model -Data' {
    It 'times the model on the data set''s samples' {
        $m = New-Model lenet5 -Seed 1 | Measure-Model -Data $val -BatchSize 8 -Iterations 2 -Warmup 0 -SkipTraining
        $m.InputShape | Should -Be @(1, 28, 28)
        $m.Throughput | Should -BeGreaterThan 0
    }
}

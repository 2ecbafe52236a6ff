# Pester 5 suite for Invoke-CompressionStrategy (the xUnit module twins: tests/CondensaPS.Module.Tests/
# CompressionCmdletTests.cs and StrategyWithDataTests.cs). Run alone:
#   .tools/pwsh/pwsh tests/Invoke-PesterSuites.ps1 tests/Invoke-CompressionStrategy.Tests.ps1
BeforeAll {
    . "$PSScriptRoot/Pester.Helpers.ps1"
}

Describe 'Invoke-CompressionStrategy' {
    It 'runs the example strategy <File>' -ForEach @(@{ File = 'prune80-fp16.yaml' }, @{ File = 'nm24-int8.yaml' }, @{ File = 'filter50-keep-edges.yaml' }) {
        $out = New-Model -Architecture lenet5 -Seed 8 | Invoke-CompressionStrategy -Path (Join-Path $Strategies $File) -WarningAction SilentlyContinue
        $out.Sparsity | Should -BeGreaterThan 0.05
    }

    It 'takes a model path and parameter overrides' {
        $path = Join-Path $TestDrive 'mlp.pt'
        New-Model -Architecture mlp -Seed 7 | Export-Model -Path $path
        $c = Invoke-CompressionStrategy -Path (Join-Path $Strategies 'prune80-fp16.yaml') -Model $path -Architecture mlp -Parameters @{ ratio = 0.5 }
        $c.History[0].Settings['ratio'] | Should -Be 0.5
    }
}

Describe 'Invoke-CompressionStrategy with data' {
    BeforeAll {
        $train = Import-Dataset (Join-Path $Mnist 'train-images-idx3-ubyte.gz') -First 512
        $val = Import-Dataset (Join-Path $Mnist 'val-images-idx3-ubyte.gz') -First 128
    }

    It 'retrains on -Data and -TeacherData and records the mismatches Measure-Mismatch counts on -ValidationData' {
        $reference = New-Model lenet5 -Seed 7 | Start-LabelPreservingRetrain -Data $train -Loss CrossEntropy -Epochs 1
        $out = Invoke-CompressionStrategy -Path (Join-Path $Strategies 'prune95-label-preserving.yaml') `
            -Model $reference -Data $train -ValidationData $val -TeacherData $val -Parameters @{ epochs = 1 }
        ($out.History | ForEach-Object { $_.Operation }) -join ',' | Should -Be 'retrain,prune,retrain,measure'
        # The strategy's retrain step learnt the reference on the unlabelled inputs too.
        $out.History[2].Results['teacher-data-count'] | Should -Be 128
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

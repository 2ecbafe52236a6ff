# Pester 5: data sets, label-preserving retraining and mismatch measurement (the same behaviour as
# tests/CondensaPS.Module.Tests/RetrainCmdletTests.cs and the engine's Training tests).
BeforeAll {
    Import-Module "$PSScriptRoot/../out/CondensaPS/CondensaPS.psd1"
    $script:mnist = Join-Path (Join-Path $PSScriptRoot '..') (Join-Path 'data' 'mnist')
    $script:train = Import-Dataset (Join-Path $mnist 'train-images-idx3-ubyte.gz') -First 256
    $script:val = Import-Dataset (Join-Path $mnist 'val-images-idx3-ubyte.gz') -First 200
}

Describe 'Import-Dataset' {
    It 'reads MNIST IDX (.gz) with its labels, shape, classes and balance' {
        $d = Import-Dataset (Join-Path $mnist 'val-images-idx3-ubyte.gz') -Seed 4
        $d.Count | Should -Be 1000
        $d.Shape | Should -Be '1x28x28'
        $d.Classes | Should -Be 10
        $d.Transforms | Should -Match 'normalize mean 0.1307 std 0.3081'
        $d.Seed | Should -Be 4
    }
    It 'reports mismatched image and label counts' {
        { Import-Dataset (Join-Path $mnist 'val-images-idx3-ubyte.gz') -LabelPath (Join-Path $mnist 'test-labels-idx1-ubyte.gz') -ErrorAction Stop } |
            Should -Throw -ErrorId 'DatasetCountMismatch,CondensaPS.Cmdlets.ImportDatasetCommand'
    }
    It 'reports a wrong magic number' {
        { Import-Dataset (Join-Path $mnist 'val-labels-idx1-ubyte.gz') -LabelPath (Join-Path $mnist 'val-labels-idx1-ubyte.gz') -ErrorAction Stop } |
            Should -Throw -ErrorId 'DatasetBadMagic,CondensaPS.Cmdlets.ImportDatasetCommand'
    }
    It 'reports a truncated file' {
        $dir = Join-Path ([System.IO.Path]::GetTempPath()) ([guid]::NewGuid().ToString('N'))
        $null = New-Item -ItemType Directory $dir
        $images = Join-Path $dir 'x-images-idx3-ubyte'
        [System.IO.File]::WriteAllBytes($images, [byte[]](0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2))
        [System.IO.File]::WriteAllBytes((Join-Path $dir 'x-labels-idx1-ubyte'), [byte[]](0, 0, 8, 1, 0, 0, 0, 2, 1, 2))
        { Import-Dataset $images -ErrorAction Stop } | Should -Throw -ErrorId 'DatasetTruncated,CondensaPS.Cmdlets.ImportDatasetCommand'
    }
}

Describe 'Start-LabelPreservingRetrain and Measure-Mismatch' {
    It 'retrains against the recorded reference, keeps masks, and measures mismatches' {
        $ref = New-Model lenet5 -Seed 2
        $p = $ref | Invoke-Prune -Ratio 0.9
        $t = $p | Start-LabelPreservingRetrain -Data $train -ValidationData $val -Epochs 1 -Seed 1
        $t.History[-1].Operation | Should -Be 'retrain'
        $t.History[-1].Settings['loss'] | Should -Be 'label-preserving'
        [object]::ReferenceEquals($t.Reference, $ref) | Should -BeTrue
        $t.Sparsity | Should -BeGreaterOrEqual 0.8999
        $report = $t | Measure-Mismatch -Data $val
        $report.Samples | Should -Be 200
        $report.Mismatches | Should -Be $report.MismatchIndices.Count
        $report.MismatchesReferenceRight | Should -BeLessOrEqual $report.Mismatches
    }
    It 'needs a reference for mismatches' {
        { New-Model lenet5 -Seed 3 | Measure-Mismatch -Data $val -ErrorAction Stop } |
            Should -Throw -ErrorId 'ReferenceRequired,CondensaPS.Cmdlets.MeasureMismatchCommand'
    }
    It 'checks classes against the model outputs before training' {
        { New-Model lenet5 -NumClasses 5 -Seed 1 | Start-LabelPreservingRetrain -Data $val -Loss CrossEntropy -ErrorAction Stop } |
            Should -Throw -ErrorId 'DatasetClassesDoNotFitModel,CondensaPS.Cmdlets.StartLabelPreservingRetrainCommand'
    }
    It 'stops on a non-finite loss, naming epoch and batch' {
        { New-Model lenet5 -Seed 1 | Start-LabelPreservingRetrain -Data $train -Loss CrossEntropy -LearningRate 1e30 -ErrorAction Stop } |
            Should -Throw -ErrorId 'LossNotFinite,CondensaPS.Cmdlets.StartLabelPreservingRetrainCommand'
    }
    It 'takes loss terms given as one comma-separated string' {
        $t = New-Model lenet5 -Seed 2 | Invoke-Prune -Ratio 0.5 |
            Start-LabelPreservingRetrain -Data $train -Epochs 1 -Loss 'CrossEntropy, TeacherLabel' -LossWeights 1, 2
        $t.History[-1].Settings['loss'] | Should -Be 'cross-entropy,teacher-label'
    }
    It 'keeps pruned weights at zero through L-C' {
        $p = New-Model lenet5 -Seed 4 | Invoke-Prune -Ratio 0.8
        $lc = $p | Start-LabelPreservingRetrain -Data $train -Method LC -Epochs 1 -Seed 1
        [math]::Abs($lc.Sparsity - $p.Sparsity) | Should -BeLessThan 0.01
    }
}

Describe 'The MNIST demo' {
    It 'runs quick and prints the table' {
        $r = & (Join-Path $PSScriptRoot '../examples/mnist-label-preserving.ps1') -Quick -PassThru 6>$null
        $r.Seeds | Should -Be 1
    }
}

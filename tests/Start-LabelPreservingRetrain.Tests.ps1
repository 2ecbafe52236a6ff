# Pester 5 suite for Start-LabelPreservingRetrain (the xUnit module twins: tests/CondensaPS.Module.Tests/
# RetrainCmdletTests.cs and StopProcessingTests.cs). Run alone:
#   .tools/pwsh/pwsh tests/Invoke-PesterSuites.ps1 tests/Start-LabelPreservingRetrain.Tests.ps1
BeforeAll {
    . "$PSScriptRoot/Pester.Helpers.ps1"
    $train = Import-Dataset (Join-Path $Mnist 'train-images-idx3-ubyte.gz') -First 256
    $val = Import-Dataset (Join-Path $Mnist 'val-images-idx3-ubyte.gz') -First 200
}

Describe 'Start-LabelPreservingRetrain' {
    It 'retrains against the recorded reference, keeps masks, and measures mismatches' {
        $ref = New-Model lenet5 -Seed 2
        $p = $ref | Invoke-Prune -Ratio 0.9
        $t = $p | Start-LabelPreservingRetrain -Data $train -ValidationData $val -Epochs 1 -Seed 1
        $t.History[-1].Operation | Should -Be 'retrain'
        $t.History[-1].Results['terms'] -join ',' | Should -Be 'cross-entropy,distillation,teacher-label'
        [object]::ReferenceEquals($t.Reference, $ref) | Should -BeTrue
        # The model's Sparsity counts the biases, which pruning leaves alone (0.8966 here): the weights pruned to 90%
        # are what must stay at zero.
        $n = 0; $z = 0
        foreach ($l in ($t | Get-ModelLayer)) { $n += $l.Parameters; $z += $l.Parameters - $l.NonZeros }
        $z / $n | Should -BeGreaterOrEqual 0.8999
        $t.NonZeros | Should -BeLessOrEqual $p.NonZeros
        $report = $t | Measure-Mismatch -Data $val
        $report.Samples | Should -Be 200
        $report.Mismatches | Should -Be $report.MismatchIndices.Count
        $report.MismatchesReferenceRight | Should -BeLessOrEqual $report.Mismatches
    }

    It 'rounds quantized weights stochastically, with or without master weights' {
        $m = New-Model lenet5 -Seed 1 | Invoke-Quantize -Type BFloat16
        $t = $m | Start-LabelPreservingRetrain -Data $train -Loss CrossEntropy -Epochs 1 -Rounding Stochastic -NoMasterWeights -Seed 2
        $t.History[-1].Settings['rounding'] | Should -Be 'stochastic'
        $t.History[-1].Settings['master-weights'] | Should -BeFalse
        # Every weight is on the bfloat16 grid, so the compact format stores it as bfloat16.
        ($t.Footprint().Tensors | Where-Object Name -eq 'fc1.weight').Storage | Should -Be 'BFloat16'
        $e = Get-ErrorRecord { $m | Start-LabelPreservingRetrain -Data $train -Loss CrossEntropy -Epochs 1 -Method LC -Rounding Stochastic }
        $e.FullyQualifiedErrorId | Should -BeLike 'InvalidStepSetting,*'
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

    It 'runs the baselines of -Loss and the schedule and teacher-input parameters' {
        $p = New-Model lenet5 -Seed 2 | Invoke-Prune -Ratio 0.9
        $pct = $p | Start-LabelPreservingRetrain -Data $train -Epochs 1 -Seed 1 -Loss PositiveCongruent -LearningRate 0.001
        $pct.History[-1].Results['terms'] | Should -Be @('cross-entropy', 'focal-distillation')
        $kd = $p | Start-LabelPreservingRetrain -Data $train -Epochs 1 -Seed 1 -Loss Distillation
        $kd.History[-1].Results['terms'] | Should -Be @('distillation')
        $ldi = $p | Start-LabelPreservingRetrain -Data $train -Epochs 1 -Seed 1 -Loss CrossEntropy, LogitDifference -LogitDifferenceMargin 1
        $ldi.History[-1].Settings['logit-difference-margin'] | Should -Be 1
        $cos = $p | Start-LabelPreservingRetrain -Data $train -Epochs 2 -Seed 1 -LearningRateSchedule Cosine -WarmupEpochs 0.5 -TeacherInputs Shift
        $cos.History[-1].Results['epochs'][1]['learning-rate'] | Should -BeLessThan 0.01
        { $p | Start-LabelPreservingRetrain -Data $train -Loss CrossEntropy -TeacherInputs Mixup -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidStepSetting,CondensaPS.Cmdlets.StartLabelPreservingRetrainCommand'
        { $p | Start-LabelPreservingRetrain -Data $train -Loss Distillation -FocalBeta 2 -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidStepSetting,CondensaPS.Cmdlets.StartLabelPreservingRetrainCommand'
    }

    It 'takes several teacher-input kinds, feature matching, a wrong-reference weight and gradual pruning' {
        $ref = New-Model lenet5 -Seed 2
        $p = $ref | Invoke-Prune -Ratio 0.9
        $many = $p | Start-LabelPreservingRetrain -Data $train -Epochs 1 -Seed 1 -TeacherInputs Mixup, Affine, Elastic, CutMix -FeatureWeight 0.5 -WrongReferenceWeight 0
        $many.History[-1].Settings['teacher-inputs'] -join ',' | Should -Be 'mixup,affine,elastic,cut-mix'
        $many.History[-1].Settings['feature-weight'] | Should -Be 0.5
        $many.History[-1].Settings['wrong-reference-weight'] | Should -Be 0
        # Gradual pruning starts from the dense reference and ends at the pruned model's sparsity.
        $out = $p | Start-LabelPreservingRetrain -Data $train -ValidationData $val -Method Gradual -Epochs 2 -GradualEpochs 1 -GradualSteps 4 -Seed 1 -Verbose 4>&1
        $lines = @($out | Where-Object { $_ -is [Management.Automation.VerboseRecord] } | ForEach-Object Message)
        $g = $out | Where-Object { $_ -isnot [Management.Automation.VerboseRecord] }
        $lines -match 'Gradual pruning starts from the dense reference' | Should -Not -BeNullOrEmpty
        $lines -match 'point 4/4' | Should -Not -BeNullOrEmpty
        [math]::Abs($g.Sparsity - $p.Sparsity) | Should -BeLessThan 0.001
        $g.History[-1].Results['best-epoch'] | Should -Be 2
        { $p | Start-LabelPreservingRetrain -Data $train -Method Gradual -Epochs 1 -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidStepSetting,CondensaPS.Cmdlets.StartLabelPreservingRetrainCommand'
        { $p | Start-LabelPreservingRetrain -Data $train -Method FineTune -GradualSteps 3 -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidStepSetting,CondensaPS.Cmdlets.StartLabelPreservingRetrainCommand'
        { $p | Start-LabelPreservingRetrain -Data $train -TeacherInputs None, Mixup -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidStepSetting,CondensaPS.Cmdlets.StartLabelPreservingRetrainCommand'
        { $p | Start-LabelPreservingRetrain -Data $train -FeatureWeight -1 -ErrorAction Stop } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,CondensaPS.Cmdlets.StartLabelPreservingRetrainCommand'
    }

    It 'prunes gradually by default in the first stage and fine-tunes the later stages of a staged pipeline' {
        $ref = New-Model lenet5 -Seed 4
        $stage1 = $ref | Invoke-Prune -Ratio 0.5 | Start-LabelPreservingRetrain -Data $train -Epochs 2 -Seed 1
        $stage1.History[-1].Results['method'] | Should -Be 'gradual'
        $out = $stage1 | Invoke-Prune -Ratio 0.8 | Start-LabelPreservingRetrain -Data $train -Epochs 2 -Seed 1 -Verbose 4>&1
        $stage2 = $out | Where-Object { $_ -isnot [Management.Automation.VerboseRecord] }
        $stage2.History[-1].Results['method'] | Should -Be 'fine-tune'
        @($out | Where-Object { $_ -is [Management.Automation.VerboseRecord] } | ForEach-Object Message) -match 'was retrained after an earlier prune step' |
            Should -Not -BeNullOrEmpty
    }

    It 'uses the data set''s seed when -Seed is not given' {
        $seeded = Import-Dataset (Join-Path $Mnist 'train-images-idx3-ubyte.gz') -First 128 -Seed 5
        $t = New-Model lenet5 -Seed 2 | Invoke-Prune -Ratio 0.5 | Start-LabelPreservingRetrain -Data $seeded -Epochs 1 -Loss CrossEntropy
        $t.History[-1].Results['seed'] | Should -Be 5
        $t.History[-1].Settings.ContainsKey('seed') | Should -BeFalse
    }

    It 'weights long-tail samples by their scores with -ExampleScores and -LongTailWeight' {
        # One score per training sample (here: 1 for every fourth); a memorisation result or its file works the same.
        $scores = 0..255 | ForEach-Object { if ($_ % 4 -eq 0) { 1.0 } else { 0.0 } }
        $t = New-Model lenet5 -Seed 2 | Invoke-Prune -Ratio 0.5 | Start-LabelPreservingRetrain -Data $train -Epochs 1 -Seed 1 -ExampleScores $scores -LongTailWeight 3
        $t.History[-1].Results['long-tail-weighted'] | Should -Be 64
        $t.History[-1].Results['long-tail-mean-weight'] | Should -Be 1.75
        $t.History[-1].Settings['long-tail-weight'] | Should -Be 3
        (Get-ErrorRecord { New-Model lenet5 -Seed 2 | Invoke-Prune -Ratio 0.5 | Start-LabelPreservingRetrain -Data $train -Epochs 1 -ExampleScores (1..10) }).FullyQualifiedErrorId | Should -BeLike 'ScoreCountMismatch,*'
        (Get-ErrorRecord { New-Model lenet5 -Seed 2 | Invoke-Prune -Ratio 0.5 | Start-LabelPreservingRetrain -Data $train -Epochs 1 -LongTailWeight 2 }).FullyQualifiedErrorId | Should -BeLike 'InvalidStepSetting,*'
    }

    It 'weights the long tail less with a negative -LongTailWeight, and refuses one that would zero a sample' {
        $scores = 0..255 | ForEach-Object { if ($_ % 4 -eq 0) { 1.0 } else { 0.0 } }
        $p = New-Model lenet5 -Seed 2 | Invoke-Prune -Ratio 0.5
        $t = $p | Start-LabelPreservingRetrain -Data $train -Epochs 1 -Seed 1 -ExampleScores $scores -LongTailWeight -0.5
        $t.History[-1].Results['long-tail-weighted'] | Should -Be 64
        $t.History[-1].Results['long-tail-mean-weight'] | Should -Be 0.875
        $e = Get-ErrorRecord { $p | Start-LabelPreservingRetrain -Data $train -Epochs 1 -ExampleScores $scores -LongTailWeight -1 }
        $e.FullyQualifiedErrorId | Should -BeLike 'InvalidStepSetting,*'
        $e.Exception.Message | Should -BeLike '*long-tail-weight*greater than -1*'
        $e.TargetObject | Should -Be -1
    }

    It 'learns the reference on unlabelled -TeacherData, records it, and refuses a loss that cannot use it' {
        $p = New-Model lenet5 -Seed 2 | Invoke-Prune -Ratio 0.5
        $t = $p | Start-LabelPreservingRetrain -Data $train -TeacherData $val -Epochs 1 -Seed 1 -Method FineTune
        $t.History[-1].Results['teacher-data-count'] | Should -Be 200
        $t.History[-1].Results['teacher-data'] | Should -Be $val.Name
        $e = Get-ErrorRecord { $p | Start-LabelPreservingRetrain -Data $train -TeacherData $val -Loss CrossEntropy -Epochs 1 }
        $e.FullyQualifiedErrorId | Should -BeLike 'TeacherDataNeedsTeacherTerm,*'
        $e.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $e.Exception.Message | Should -BeLike '*the loss is cross-entropy*'
    }

    It 'prunes gradually by Fisher score with -GradualScore Fisher, and only with gradual pruning' {
        $p = New-Model lenet5 -Seed 3 | Invoke-Prune -Ratio 0.8
        $t = $p | Start-LabelPreservingRetrain -Data $train -Epochs 2 -Seed 1 -Method Gradual -GradualScore Fisher
        $t.History[-1].Settings['gradual-score'] | Should -Be 'fisher'
        $t.History[-1].Results['method'] | Should -Be 'gradual'
        $t.NonZeros | Should -Be $p.NonZeros
        $e = Get-ErrorRecord { $p | Start-LabelPreservingRetrain -Data $train -Epochs 1 -Method FineTune -GradualScore Fisher }
        $e.FullyQualifiedErrorId | Should -BeLike 'InvalidStepSetting,*'
        $e.Exception.Message | Should -BeLike '*gradual-score*'
    }

    It 'prunes gradually by Optimal Brain Surgeon with -GradualScore Obs, to the model''s count' {
        $p = New-Model lenet5 -Seed 3 | Invoke-Prune -Ratio 0.8
        $t = $p | Start-LabelPreservingRetrain -Data $train -Epochs 2 -Seed 1 -Method Gradual -GradualScore Obs
        $t.History[-1].Settings['gradual-score'] | Should -Be 'obs'
        $t.History[-1].Results['method'] | Should -Be 'gradual'
        $t.NonZeros | Should -Be $p.NonZeros
        # Not the masks Fisher scores give from the same start and seed.
        $f = $p | Start-LabelPreservingRetrain -Data $train -Epochs 2 -Seed 1 -Method Gradual -GradualScore Fisher
        ($t | Get-ModelLayer | ForEach-Object NonZeros) -join ',' | Should -Not -Be (($f | Get-ModelLayer | ForEach-Object NonZeros) -join ',')
    }

    It 'keeps pruned weights at zero through L-C' {
        $p = New-Model lenet5 -Seed 4 | Invoke-Prune -Ratio 0.8
        $lc = $p | Start-LabelPreservingRetrain -Data $train -Method LC -Epochs 1 -Seed 1
        [math]::Abs($lc.Sparsity - $p.Sparsity) | Should -BeLessThan 0.01
    }
}

Describe 'Stopping Start-LabelPreservingRetrain (Ctrl+C)' {
    It 'returns nothing and leaves the input model as it was' {
        $modulePath = Join-Path $RepoRoot 'out/CondensaPS/CondensaPS.psd1'
        $data = Join-Path $Mnist 'train-images-idx3-ubyte.gz'
        $runspace = [runspacefactory]::CreateRunspace()
        $runspace.Open()
        try {
            $setup = [powershell]::Create($runspace)
            $null = $setup.AddScript("Import-Module '$modulePath'; `$data = Import-Dataset '$data' -First 2000; `$model = New-Model lenet5 -Seed 11 | Invoke-Prune -Ratio 0.5; `$snapshot = `$model.Clone()").Invoke()
            $setup.Dispose()

            $ps = [powershell]::Create($runspace)
            $null = $ps.AddScript('$model | Start-LabelPreservingRetrain -Data $data -Loss CrossEntropy -Epochs 200 -BatchSize 16')
            $output = [System.Management.Automation.PSDataCollection[psobject]]::new()
            $async = $ps.BeginInvoke([System.Management.Automation.PSDataCollection[psobject]]$null, $output)
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while ($ps.Streams.Progress.Count -eq 0 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 50 }
            $ps.Streams.Progress.Count | Should -BeGreaterThan 0
            $ps.Stop()
            { $ps.EndInvoke($async) } | Should -Throw
            $ps.InvocationStateInfo.State | Should -Be 'Stopped'
            $output.Count | Should -Be 0
            $ps.Dispose()

            $check = [powershell]::Create($runspace)
            $result = $check.AddScript('[pscustomobject]@{ History = $model.History.Count; Differences = [CondensaPS.Engine.Models.ModelComparison]::Differences($snapshot, $model).Count }').Invoke()
            $check.Dispose()
            $result[0].History | Should -Be 1
            $result[0].Differences | Should -Be 0
        }
        finally {
            $runspace.Dispose()
        }
    }
}

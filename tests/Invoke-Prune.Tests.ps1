# Pester 5 suite for Invoke-Prune (the xUnit module twin: tests/CondensaPS.Module.Tests/CompressionCmdletTests.cs).
# Run alone: .tools/pwsh/pwsh tests/Invoke-PesterSuites.ps1 tests/Invoke-Prune.Tests.ps1
BeforeAll {
    . "$PSScriptRoot/Pester.Helpers.ps1"
}

Describe 'Invoke-Prune' {
    It 'zeroes exactly round(r*N) of the selected weights and leaves the input untouched' {
        $m = New-Model -Architecture lenet5 -Seed 3
        $p = $m | Invoke-Prune -Ratio 0.75
        $n = 0; $z = 0
        foreach ($l in ($p | Get-ModelLayer)) { $n += $l.Parameters; $z += $l.Parameters - $l.NonZeros }
        $z | Should -Be ([math]::Round(0.75 * $n, [MidpointRounding]::ToEven))
        $m.Sparsity | Should -Be 0
        $p.Reference | Should -Be $m
        $p.History[0].Settings['scope'] | Should -Be 'global'
    }

    It 'rejects a ratio of <R> (outside [0, 1)) as a parameter validation error' -ForEach @(@{ R = 1 }, @{ R = 1.5 }, @{ R = -0.1 }) {
        { New-Model -Architecture mlp | Invoke-Prune -Ratio $R -ErrorAction Stop } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,CondensaPS.Cmdlets.InvokePruneCommand'
    }

    It 'prunes whole filters keeping a multiple of -Align' {
        $f = New-Model -Architecture lenet5 -Seed 4 | Invoke-Prune -Ratio 0.7 -Method Filter -Align 4
        $conv2 = @($f | Get-ModelLayer 'conv2.weight')[0]
        # 16 filters of 150 weights: 16 - round(11.2) = 5 survivors, aligned up to 8.
        $conv2.NonZeros | Should -Be (8 * 150)
    }

    It 'keeps two of every four weights with -Method NM' {
        $nm = New-Model -Architecture lenet5 -Seed 4 | Invoke-Prune -Method NM -N 2 -M 4 -WarningAction SilentlyContinue
        @($nm | Get-ModelLayer 'fc1.weight')[0].Sparsity | Should -Be 0.5
        @($nm | Get-ModelLayer 'conv1.weight')[0].Sparsity | Should -Be 0
    }

    It 'refuses settings that do not fit the method' {
        { New-Model -Architecture mlp | Invoke-Prune -Ratio 0.5 -Criterion L2 -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidStepSetting,CondensaPS.Cmdlets.InvokePruneCommand'
    }
}

Describe 'Invoke-Prune error rules and completion' {
    It 'reports a model it cannot prune as asked as a non-terminating error, and prunes the next one' {
        $models = @((New-Model mlp -Seed 1), (New-Model lenet5 -Seed 1))
        $Error.Clear()
        $out = $models | Invoke-Prune -Ratio 0.5 -Method Filter -ErrorAction SilentlyContinue
        @($out).Count | Should -Be 1
        $out.Architecture | Should -Be 'lenet5'
        $Error.Count | Should -Be 1
        $Error[0].FullyQualifiedErrorId | Should -Be 'NothingToPrune,CondensaPS.Cmdlets.InvokePruneCommand'
    }

    It 'stops on -Method Magnitude without -Ratio, whatever -ErrorAction says' {
        { New-Model lenet5 | Invoke-Prune -Method Magnitude -ErrorAction SilentlyContinue } | Should -Throw -ErrorId 'RatioRequired,CondensaPS.Cmdlets.InvokePruneCommand'
    }

    It 'completes -Include with the layers of the model the pipeline brings: <Line>' -ForEach @(
        @{ Line = 'New-Model lenet5 -Seed 3 | Invoke-Prune -Ratio 0.5 -Include '; Expected = @('conv1.*', 'conv2.*', 'fc1.*', 'fc2.*', 'fc3.*') }
        @{ Line = 'Import-Model w.safetensors -Architecture lenet5 | Invoke-Prune -Ratio 0.5 -Exclude '; Expected = @('conv1.*', 'conv2.*', 'fc1.*', 'fc2.*', 'fc3.*') }
        @{ Line = 'New-Model resnet18 | Invoke-Prune -Ratio 0.5 -Exclude layer4.1'; Expected = @('layer4.1.conv1.*', 'layer4.1.conv2.*') }
    ) {
        (TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches.CompletionText | Should -Be $Expected
    }
}

Describe 'Invoke-Prune -Slim' {
    It 'removes filters, shrinks the next layers, and reports each layer' {
        $m = Import-Model (Fixture 'lenet5_scripted.pt')
        $s = $m | Invoke-Prune -Ratio 0.5 -Method Filter -Slim -InputShape 1,28,28
        $rows = $s.History[-1].Results['layers']
        @($rows).Count | Should -Be 5
        ($rows | Where-Object Layer -eq 'conv1').OutAfter | Should -Be 3
        ($rows | Where-Object Layer -eq 'fc1').InAfter | Should -Be 200
        ($rows | Where-Object Layer -eq 'conv1').Note | Should -BeLike 'removed 3 of 6 filters*'
        $s.Parameters | Should -BeLessThan $m.Parameters
        $s.Macs | Should -BeLessThan ($m.Structure(@(1, 28, 28)).Macs / 2)
        $s.Reference | Should -Be $m
        $m.History.Count | Should -Be 0
    }

    It 'keeps one channel where the ratio would remove them all, and warns' {
        $w = $null
        $s = Import-Model (Fixture 'lenet5_scripted.pt') | Invoke-Prune -Ratio 0.95 -Method Filter -Slim -InputShape 1,28,28 -WarningVariable w -WarningAction SilentlyContinue
        ($s.History[-1].Results['layers'] | Where-Object Layer -eq 'conv1').OutAfter | Should -Be 1
        "$w" | Should -BeLike '*one channel of each is kept*'
    }

    It 'slims linear layers with -Method Neuron and never the output layer' {
        $s = Import-Model (Fixture 'lenet5_scripted.pt') | Invoke-Prune -Ratio 0.5 -Method Neuron -Slim -InputShape 1,28,28
        $fc3 = $s.History[-1].Results['layers'] | Where-Object Layer -eq 'fc3'
        $fc3.OutAfter | Should -Be 10
        $fc3.InAfter | Should -Be 42
    }

    It 'exports a slimmed model that imports back with the same outputs' {
        $s = Import-Model (Fixture 'lenet5_scripted.pt') | Invoke-Prune -Ratio 0.5 -Method Filter -Slim -InputShape 1,28,28
        $path = Join-Path (New-TestFolder) 'slim.pt'
        $s | Export-Model -Path $path
        $back = Import-Model $path
        $back.Parameters | Should -Be $s.Parameters
    }

    It 'needs -InputShape for a TorchScript model' {
        { Import-Model (Fixture 'lenet5_scripted.pt') | Invoke-Prune -Ratio 0.5 -Method Filter -Slim -ErrorAction Stop } |
            Should -Throw -ErrorId 'InputShapeRequired,CondensaPS.Cmdlets.InvokePruneCommand'
    }

    It 'refuses -Slim with a method that masks single weights' {
        { Import-Model (Fixture 'lenet5_scripted.pt') | Invoke-Prune -Ratio 0.5 -Slim -InputShape 1,28,28 -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidStepSetting,CondensaPS.Cmdlets.InvokePruneCommand'
    }

    It 'is replayed exactly by a strategy' {
        $m = Import-Model (Fixture 'lenet5_scripted.pt')
        $s = $m | Invoke-Prune -Ratio 0.6 -Method Filter -Slim -InputShape 1,28,28 -Align 2
        $yaml = Join-Path (New-TestFolder) 'slim.yaml'
        $s | Export-Strategy -Path $yaml
        $r = Invoke-CompressionStrategy -Path $yaml -Model $m
        $r.Parameters | Should -Be $s.Parameters
        ($r.History[-1].Results['kept']['conv2'] -join ',') | Should -Be ($s.History[-1].Results['kept']['conv2'] -join ',')
    }

    It 'gives PyTorch a slimmed model that torch.jit.load runs with the same outputs' {
        Assert-PyTorch
        $s = Import-Model (Fixture 'lenet5_scripted.pt') | Invoke-Prune -Ratio 0.5 -Method Filter -Slim -InputShape 1,28,28 |
            Invoke-Prune -Ratio 0.5 -Method Neuron -Slim
        $dir = New-TestFolder
        $s | Export-Model -Path (Join-Path $dir 'slim.pt')
        $x = [TorchSharp.torch]::randn([long[]](2, 1, 28, 28))
        $pair = [System.ValueTuple[string, TorchSharp.torch+Tensor]]
        [CondensaPS.Engine.Formats.SafeTensorsFile]::Write((Join-Path $dir 'io.safetensors'), [System.ValueTuple[string, TorchSharp.torch+Tensor][]]@($pair::new('input', $x), $pair::new('output', $s.Forward($x))), $null)
        $out = & /usr/bin/python3 (Fixture 'check_with_pytorch.py') torchscript (Join-Path $dir 'slim.pt') (Join-Path $dir 'io.safetensors')
        $LASTEXITCODE | Should -Be 0 -Because "$out"
    }

    It 'retrains label-preserving, measures mismatches and round-trips through the compact format like any model' {
        $train = Import-Dataset (Join-Path $Mnist 'train-images-idx3-ubyte.gz') -First 256
        $val = Import-Dataset (Join-Path $Mnist 'val-images-idx3-ubyte.gz') -First 200
        $m = Import-Model (Fixture 'lenet5_scripted.pt')
        $s = $m | Invoke-Prune -Ratio 0.5 -Method Filter -Slim -InputShape 1,28,28
        $t = $s | Start-LabelPreservingRetrain -Data $train -Epochs 1 -Seed 1
        $t.History[-1].Results['terms'] -join ',' | Should -Be 'cross-entropy,distillation,teacher-label'
        [object]::ReferenceEquals($t.Reference, $m) | Should -BeTrue
        $t.Parameters | Should -Be $s.Parameters
        $report = $t | Measure-Mismatch -Data $val
        $report.Samples | Should -Be 200
        $report.Mismatches | Should -Be $report.MismatchIndices.Count
        $path = Join-Path (New-TestFolder) 'slim.cpz'
        $t | Export-Model -Path $path
        $back = Import-Model $path
        $back.Parameters | Should -Be $t.Parameters
        $x = [TorchSharp.torch]::randn([long[]](2, 1, 28, 28))
        Test-TensorEqual $back.Forward($x) $t.Forward($x) | Should -BeTrue
    }
}

Describe 'Invoke-Prune -Slim on models it cannot fully follow' {
    BeforeAll {
        # Small PyTorch-scripted models of tests/fixtures/make_test_models.py: a grouped convolution (groups=2), and an
        # operator the structure analysis does not know (torch.cumsum).
        Assert-PyTorch
        function New-ScriptedModel([string] $Spec) {
            $made = & /usr/bin/python3 (Fixture 'make_test_models.py') (New-TestFolder) $Spec
            if ($LASTEXITCODE -ne 0) { throw "make_test_models.py $Spec failed: $made" }
            @($made)[-1].Trim()
        }
    }

    It 'leaves the layers coupled by a grouped convolution dense and names them in a warning and the report' {
        $m = Import-Model (New-ScriptedModel 'grouped:classes=10,size=16')
        $w = $null
        $s = $m | Invoke-Prune -Ratio 0.5 -Method Filter -Slim -InputShape 3,16,16 -WarningVariable w -WarningAction SilentlyContinue
        "$w" | Should -BeLike '*conv1*grouped convolution conv2 (groups=2)*'
        $rows = $s.History[-1].Results['layers']
        $conv1 = $rows | Where-Object Layer -eq 'conv1'
        ($conv1.OutBefore, $conv1.OutAfter) | Should -Be @(8, 8)
        $conv1.Note | Should -BeLike 'left dense: grouped convolution conv2 (groups=2)*'
        ($rows | Where-Object Layer -eq 'conv3').OutAfter | Should -Be 8
        $s.History[-1].Results['left'].Keys | Should -Contain 'conv1'
    }

    It 'stops with ModelStructureNotUnderstood naming the operator, and leaves the model as it was' {
        $m = Import-Model (New-ScriptedModel 'unknown_op:classes=10,size=16')
        $x = [TorchSharp.torch]::randn([long[]](2, 3, 16, 16))
        $y = $m.Forward($x)
        $shapes = ($m | Get-ModelLayer -All | ForEach-Object { "$($_.Name) $($_.Shape -join 'x')" }) -join ';'
        $e = Get-ErrorRecord { $m | Invoke-Prune -Ratio 0.5 -Method Filter -Slim -InputShape 3,16,16 }
        $e.FullyQualifiedErrorId | Should -Be 'ModelStructureNotUnderstood,CondensaPS.Cmdlets.InvokePruneCommand'
        $e.CategoryInfo.Category | Should -Be 'NotImplemented'
        "$($e.Exception.Message)" | Should -BeLike '*torch.cumsum*'
        $m.History.Count | Should -Be 0
        (($m | Get-ModelLayer -All | ForEach-Object { "$($_.Name) $($_.Shape -join 'x')" }) -join ';') | Should -Be $shapes
        Test-TensorEqual $m.Forward($x) $y | Should -BeTrue
    }
}

Describe 'Empty layers' {
    It 'warns when pruning empties a layer, and -MaxLayerSparsity caps every layer' {
        $m = New-Model -Architecture lenet5 -Seed 3
        $w = $null
        $null = $m | Invoke-Prune -Ratio 0.99 -Method Filter -WarningVariable w -WarningAction SilentlyContinue
        "$w" | Should -BeLike '*conv1.weight*-MaxLayerSparsity*'
        $c = $m | Invoke-Prune -Ratio 0.9 -Scope Layer -MaxLayerSparsity 0.5
        foreach ($l in ($c | Get-ModelLayer)) { $l.Sparsity | Should -BeLessOrEqual 0.5 }
    }
}

# Pester 5 suite for Export-Model (the xUnit module twins: tests/CondensaPS.Module.Tests/ModelFileCmdletTests.cs,
# CompactModuleTests.cs and SingleOutputFileTests.cs). Run alone:
#   .tools/pwsh/pwsh tests/Invoke-PesterSuites.ps1 tests/Export-Model.Tests.ps1
BeforeAll {
    . "$PSScriptRoot/Pester.Helpers.ps1"
    $Tolerance = 1e-5
}

Describe 'Export-Model then Import-Model' {
    BeforeEach { $dir = New-TestFolder }

    It 'round-trips <File> as <Format>' -ForEach @(
        @{ File = 'lenet5_scripted.pt'; Arch = $null; Format = 'TorchScript'; Again = $null; Io = 'lenet5' }
        @{ File = 'bn_cnn_traced.pt'; Arch = $null; Format = 'TorchScript'; Again = $null; Io = 'bn_cnn' }
        @{ File = 'lenet5_scripted.pt'; Arch = $null; Format = 'SafeTensors'; Again = 'lenet5'; Io = 'lenet5' }
        @{ File = 'lenet5_traced.pt'; Arch = $null; Format = 'TorchSharp'; Again = 'lenet5'; Io = 'lenet5' }
        @{ File = 'lenet5_state_dict.pt'; Arch = 'lenet5'; Format = 'SafeTensors'; Again = 'lenet5'; Io = 'lenet5' }
        @{ File = 'mlp_state_dict.pt'; Arch = 'mlp'; Format = 'TorchSharp'; Again = 'mlp'; Io = 'mlp' }
    ) {
        $p = @{ Path = (Fixture $File) }
        if ($Arch) { $p.Architecture = $Arch }
        $m = Import-Model @p
        $out = Join-Path $dir 'exported.model'
        $m | Export-Model -Path $out -Format $Format
        $q = @{ Path = $out }
        if ($Again) { $q.Architecture = $Again }
        $n = Import-Model @q
        $n.Parameters | Should -Be $m.Parameters
        Get-MaxDiff $n $Io | Should -BeLessOrEqual $Tolerance
        (Get-ChildItem -Force $dir).Name | Should -Be @('exported.model')
    }

    It '-PassThru passes the model on; without it nothing is output; -WhatIf writes nothing' {
        $m = New-Model lenet5 -Seed 1
        $a = $m | Export-Model -Path (Join-Path $dir 'a.safetensors') -PassThru
        $b = $m | Export-Model -Path (Join-Path $dir 'b.safetensors')
        $m | Export-Model -Path (Join-Path $dir 'c.safetensors') -WhatIf
        [object]::ReferenceEquals($a, $m) | Should -BeTrue
        $b | Should -BeNullOrEmpty
        (Get-ChildItem $dir).Name | Sort-Object | Should -Be @('a.safetensors', 'b.safetensors')
    }

    It 'writes TorchScript for a built-in model''s .pt and .pth, TorchSharp only for -Format TorchSharp or .tsw' {
        $m = New-Model lenet5 -Seed 3 | Invoke-Prune -Ratio 0.5
        $m | Export-Model -Path (Join-Path $dir 'm.pt')
        $m | Export-Model -Path (Join-Path $dir 'm.pth')
        $m | Export-Model -Path (Join-Path $dir 'asked.pt') -Format TorchSharp
        $m | Export-Model -Path (Join-Path $dir 'own.tsw')
        $formats = 'm.pt', 'm.pth', 'asked.pt', 'own.tsw' | ForEach-Object { "$([CondensaPS.Engine.Formats.ModelFileFormatDetector]::Detect((Join-Path $dir $_)))" }
        $formats | Should -Be @('TorchScript', 'TorchScript', 'TorchSharp', 'TorchSharp')
        $n = Import-Model (Join-Path $dir 'm.pt')
        $n.Architecture | Should -Be 'lenet5'
        $n.Sparsity | Should -Be $m.Sparsity
        $n.History.Count | Should -Be 1
    }

    It 'keeps a narrowed built-in model''s widths through a .pt export' {
        $spec = (New-Model resnet18 -InputSize 32 -NumClasses 10).Spec
        $widths = [System.Collections.Generic.Dictionary[string, int]]::new()
        $widths['layer1.0.conv1'] = 40
        $narrow = $spec.WithWidths($widths)
        $narrow.Widths['layer1.0.conv1'] | Should -Be 40
        $m = [CondensaPS.Engine.Models.CompressionModel]::FromBuiltIn([CondensaPS.Engine.Architectures.ArchitectureRegistry]::Build($narrow), $narrow, 'narrow', 'test', [TorchSharp.torch]::CPU)
        $m | Export-Model -Path (Join-Path $dir 'narrow.pt')
        $n = Import-Model (Join-Path $dir 'narrow.pt')
        $n.Spec.Widths['layer1.0.conv1'] | Should -Be 40
        $n.Parameters | Should -Be $m.Parameters
    }

    It 'needs -Force to overwrite and leaves the file unchanged without it' {
        $path = Join-Path $dir 'taken.pt'
        Set-Content -Path $path -Value 'keep me' -NoNewline
        $e = Get-ErrorRecord { New-Model lenet5 | Export-Model -Path $path }
        $e.FullyQualifiedErrorId | Should -BeLike 'OutputExists,*'
        $e.CategoryInfo.Category | Should -Be 'ResourceExists'
        Get-Content -Raw $path | Should -Be 'keep me'
        New-Model lenet5 | Export-Model -Path $path -Force
        (Import-Model $path -Architecture lenet5).Parameters | Should -Be 61706
    }

    It 'refuses a second piped model: one output file per call' {
        $a = New-Model lenet5 -Seed 1 | Invoke-Prune -Ratio 0.5
        $b = New-Model lenet5 -Seed 2 | Invoke-Prune -Ratio 0.5
        { $a, $b | Export-Model -Path (Join-Path $dir 'two.tsw') -ErrorAction Stop } | Should -Throw -ErrorId 'MultipleModelsToOnePath*'
    }
}

Describe 'Export-Model on bad output paths' {
    It 'reports <Id> (<Category>) for <Case>' -ForEach @(
        @{ Case = 'a missing output folder'; Script = { New-Model lenet5 | Export-Model -Path /no/such/folder/m.safetensors }; Id = 'OutputFolderNotFound'; Category = 'ObjectNotFound'; Says = '/no/such/folder' }
        @{ Case = 'an unwritable output (/proc refuses even root)'; Script = { New-Model lenet5 | Export-Model -Path /proc/condensaps-test.safetensors }; Id = 'OutputNotWritable'; Category = 'WriteError'; Says = '/proc/condensaps-test.safetensors' }
    ) {
        $e = Get-ErrorRecord $Script
        $e | Should -Not -BeNullOrEmpty
        $e.FullyQualifiedErrorId | Should -BeLike "$Id,*"
        $e.CategoryInfo.Category | Should -Be $Category
        $e.Exception.Message | Should -BeLike "*$([WildcardPattern]::Escape($Says))*"
    }
}

Describe 'Export-Model -Format Compact' {
    It 'writes a report and reads back to the same outputs' {
        $m = New-Model -Architecture lenet5 -Seed 4 -Name lenet-c
        $path = Join-Path $TestDrive 'm.cpz'
        $report = $m | Export-Model -Path $path -Format Compact -Report
        $report.Format | Should -Be 'Compact'
        $report.Bytes | Should -Be (Get-Item $path).Length
        $report.DenseBytes | Should -Be $m.DenseBytes
        $report.CompressionRatio | Should -BeGreaterThan 0
        $back = Import-Model -Path $path
        $back.Name | Should -Be 'lenet-c'
        $back.Architecture | Should -Be 'lenet5'
        $x = [TorchSharp.torch]::randn([long[]](2, 1, 28, 28))
        Test-TensorEqual $m.Forward($x) $back.Forward($x) | Should -BeTrue
    }

    It 'round-trips a TorchScript model' {
        $m = Import-Model -Path (Fixture 'compact/tiny_convnet.pt')
        $m | Export-Model -Path (Join-Path $TestDrive 'ts.cpz')
        $back = Import-Model -Path (Join-Path $TestDrive 'ts.cpz')
        $back.IsTorchScript | Should -BeTrue
        $x = [TorchSharp.torch]::randn([long[]](2, 1, 8, 8))
        Test-TensorEqual $m.Forward($x) $back.Forward($x) | Should -BeTrue
    }

    It 'keeps -PassThru returning the model and refuses -Report with -PassThru' {
        $m = New-Model -Architecture mlp -Seed 1
        ($m | Export-Model -Path (Join-Path $TestDrive 'p.cpz') -PassThru) | Should -Be $m
        { $m | Export-Model -Path (Join-Path $TestDrive 'q.cpz') -PassThru -Report } | Should -Throw -ErrorId 'AmbiguousParameterSet,*'
    }
}

Describe 'PyTorch reads what Export-Model writes' {
    It 'torch.jit.load runs our TorchScript and load_state_dict(strict=True) takes our safetensors' {
        Assert-PyTorch
        Import-Model (Fixture 'lenet5_scripted.pt') | Export-Model -Path (Join-Path $TestDrive 'ours.pt')
        Import-Model (Fixture 'lenet5_state_dict.pt') -Architecture lenet5 | Export-Model -Path (Join-Path $TestDrive 'ours.safetensors')
        $env:PYTHONDONTWRITEBYTECODE = '1'
        & /usr/bin/python3 (Fixture 'check_with_pytorch.py') torchscript (Join-Path $TestDrive 'ours.pt') (Fixture 'lenet5.io.safetensors')
        $LASTEXITCODE | Should -Be 0
        & /usr/bin/python3 (Fixture 'check_with_pytorch.py') safetensors lenet5 (Join-Path $TestDrive 'ours.safetensors') (Fixture 'lenet5.io.safetensors')
        $LASTEXITCODE | Should -Be 0
    }
}

Describe 'PyTorch reads a built-in model Export-Model writes' {
    It 'torch.jit.load runs a MobileNetV2 exported to .pt, batch norm training included' {
        Assert-PyTorch
        $m = New-Model mobilenet_v2 -InputSize 32 -NumClasses 10 -Seed 4
        $m | Export-Model -Path (Join-Path $TestDrive 'mobile.pt')
        $x = [TorchSharp.torch]::randn([long[]](2, 3, 32, 32))
        $pair = [System.ValueTuple[string, TorchSharp.torch+Tensor]]
        [CondensaPS.Engine.Formats.SafeTensorsFile]::Write((Join-Path $TestDrive 'io.safetensors'), [System.ValueTuple[string, TorchSharp.torch+Tensor][]]@($pair::new('input', $x), $pair::new('output', $m.Forward($x))), $null)
        $env:PYTHONDONTWRITEBYTECODE = '1'
        $out = & /usr/bin/python3 (Fixture 'check_builtin_with_pytorch.py') torchscript (Join-Path $TestDrive 'mobile.pt') (Join-Path $TestDrive 'io.safetensors')
        $LASTEXITCODE | Should -Be 0
        "$out" | Should -Match 'batch norms 52, updated in train mode 52'
    }
}

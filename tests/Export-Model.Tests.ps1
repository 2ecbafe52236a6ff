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

    It 'leaves the history out with -ExcludeHistory, and only for Compact' {
        $m = New-Model -Architecture lenet5 -Seed 4 | Invoke-Prune -Ratio 0.9 | Invoke-Quantize -Type Cluster -Bits 4
        $with = $m | Export-Model -Path (Join-Path $TestDrive 'with.cpz') -Report
        $without = $m | Export-Model -Path (Join-Path $TestDrive 'without.cpz') -ExcludeHistory -Report
        $without.Bytes | Should -BeLessThan $with.Bytes
        $back = Import-Model -Path (Join-Path $TestDrive 'without.cpz')
        $back.History.Count | Should -Be 0
        $back.DType | Should -Be 'cluster4'
        $x = [TorchSharp.torch]::randn([long[]](2, 1, 28, 28))
        Test-TensorEqual $m.Forward($x) $back.Forward($x) | Should -BeTrue
        $e = Get-ErrorRecord { $m | Export-Model -Path (Join-Path $TestDrive 'x.safetensors') -ExcludeHistory }
        $e.FullyQualifiedErrorId | Should -BeLike 'ExcludeHistoryNeedsCompact,*'
        Test-Path (Join-Path $TestDrive 'x.safetensors') | Should -BeFalse
    }

    It 'reads a version 1 file, and writes version 2' {
        $m = Import-Model -Path (Fixture 'compact/v1/v1-lenet5.cpz')
        $m.History.Count | Should -Be 3
        $m | Export-Model -Path (Join-Path $TestDrive 'v2.cpz')
        $bytes = [System.IO.File]::ReadAllBytes((Join-Path $TestDrive 'v2.cpz'))
        [BitConverter]::ToUInt16($bytes, 8) | Should -Be 2
        $bytes.Length | Should -BeLessThan (Get-Item (Fixture 'compact/v1/v1-lenet5.cpz')).Length
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

Describe 'Export-Model error rules' {
    It 'reports a missing folder as a non-terminating error: -ErrorAction SilentlyContinue goes on, -PassThru passes nothing' {
        $Error.Clear()
        $out = New-Model lenet5 | Export-Model -Path /no/such/folder/m.safetensors -PassThru -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $Error.Count | Should -Be 1
        $Error[0].FullyQualifiedErrorId | Should -Be 'OutputFolderNotFound,CondensaPS.Cmdlets.ExportModelCommand'
        $Error[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'stops on a format it never writes, whatever -ErrorAction says' {
        { New-Model lenet5 | Export-Model -Path (Join-Path $TestDrive 'x.pt') -Format PyTorchStateDict -ErrorAction SilentlyContinue } |
            Should -Throw -ErrorId 'FormatNotWritable,CondensaPS.Cmdlets.ExportModelCommand'
    }
}

Describe 'Export-Model to SafeTensors keeps the storage types' {
    It 'stores <Type> as <Code>, reports the bytes by type, and Import-Model brings the <Type> records back' -ForEach @(
        @{ Type = 'Float16'; Code = 'F16'; DType = 'float16' }
        @{ Type = 'BFloat16'; Code = 'BF16'; DType = 'bfloat16' }
    ) {
        $q = New-Model lenet5 -Seed 1 | Invoke-Prune -Ratio 0.5 | Invoke-Quantize -Type $Type
        $path = Join-Path $TestDrive "$Type.safetensors"
        $report = $q | Export-Model -Path $path -Report
        $report.BytesByType[$DType] | Should -Be ($q.Parameters * 2)
        ($report.BytesByType.Values | Measure-Object -Sum).Sum | Should -Be (Get-Item $path).Length
        $report.TypeSummary | Should -BeLike "$DType *; other *"
        $header = [CondensaPS.Engine.Formats.SafeTensorsFile]::ReadHeader($path)
        @($header.Item1 | ForEach-Object DType | Sort-Object -Unique) | Should -Be @($Code)
        $back = Import-Model $path
        $back.DType | Should -Be $DType
        ($back | Get-ModelLayer | ForEach-Object NonZeros) | Should -Be ($q | Get-ModelLayer | ForEach-Object NonZeros)
    }

    It 'stores int8 weights as I8 values with compressed-tensors weight_scale tensors and their config' {
        $q = New-Model lenet5 -Seed 2 | Invoke-Quantize -Type Int8
        $path = Join-Path $TestDrive 'int8.safetensors'
        $report = $q | Export-Model -Path $path -Report
        $report.BytesByType['int8'] | Should -Be ($q | Get-ModelLayer | Measure-Object -Property Parameters -Sum).Sum
        $entries = @{}
        [CondensaPS.Engine.Formats.SafeTensorsFile]::ReadHeader($path).Item1 | ForEach-Object { $entries[$_.Name] = $_ }
        $entries['fc1.weight'].DType | Should -Be 'I8'
        $entries['fc1.bias'].DType | Should -Be 'F32'
        $entries['fc1.weight_scale'].Shape | Should -Be @(120, 1)
        $entries['conv1.weight_scale'].Shape | Should -Be @(6, 1, 1, 1)
        $entries.ContainsKey('fc1.weight_zero_point') | Should -BeFalse
        $config = [CondensaPS.Engine.Formats.SafeTensorsFile]::ReadMetadata($path)['quantization_config'] | ConvertFrom-Json
        $config.quant_method | Should -Be 'compressed-tensors'
        $config.format | Should -Be 'int-quantized'
        $config.config_groups.group_0.weights.strategy | Should -Be 'channel'
    }

    It 'gives PyTorch a float16 file that load_state_dict takes into its fp32 LeNet-5, with the same outputs' {
        Assert-PyTorch
        $q = New-Model lenet5 -Seed 3 | Invoke-Quantize -Type Float16
        $weights = Join-Path $TestDrive 'lenet.safetensors'
        $q | Export-Model -Path $weights
        $io = [CondensaPS.Engine.Formats.SafeTensorsFile]::Read((Fixture 'lenet5.io.safetensors'))
        $ours = Join-Path $TestDrive 'ours.io.safetensors'
        $pairs = [System.Collections.Generic.List[System.ValueTuple[string, TorchSharp.torch+Tensor]]]::new()
        $pairs.Add([System.ValueTuple[string, TorchSharp.torch+Tensor]]::new('input', $io['input']))
        $pairs.Add([System.ValueTuple[string, TorchSharp.torch+Tensor]]::new('output', $q.Forward($io['input'])))
        [CondensaPS.Engine.Formats.SafeTensorsFile]::Write($ours, $pairs, $null)
        $env:PYTHONDONTWRITEBYTECODE = '1'
        $out = & /usr/bin/python3 (Fixture 'check_with_pytorch.py') safetensors lenet5 $weights $ours
        $LASTEXITCODE | Should -Be 0 -Because ($out -join "`n")
        "$out" | Should -Match 'torch\.float16'
    }
}

Describe 'Export-Model keeps the target whole' {
    BeforeEach { $dir = New-TestFolder }

    It 'refuses to replace a FIFO, even with -Force, and leaves it' {
        $fifo = Join-Path $dir 'pipe.pt'
        & mkfifo $fifo
        $e = Get-ErrorRecord { New-Model lenet5 -Seed 1 | Export-Model -Path $fifo -Format SafeTensors -Force }
        $e.FullyQualifiedErrorId | Should -Be 'OutputNotRegularFile,CondensaPS.Cmdlets.ExportModelCommand'
        $e.CategoryInfo.Category | Should -Be 'InvalidArgument'
        (& find $fifo -maxdepth 0 -printf '%y') | Should -Be 'p'
    }

    It 'removes the temp file a killed export left, and says so with -Verbose' {
        $left = Join-Path $dir ".old.pt.$([guid]::NewGuid().ToString('N')).tmp"
        [IO.File]::WriteAllBytes($left, [byte[]]::new(100))
        [IO.File]::SetLastWriteTimeUtc($left, [DateTime]::UtcNow.AddHours(-1))
        $verbose = New-Model lenet5 -Seed 1 | Export-Model -Path (Join-Path $dir 'new.safetensors') -Verbose 4>&1 | ForEach-Object { "$_" }
        $verbose | Should -Contain "Removed '$left', a temp file that an interrupted write left behind."
        (Get-ChildItem -Force $dir).Name | Should -Be @('new.safetensors')
    }
}

# Pester 5 suite: standard formats carry the compression. SafeTensors stores fp16/bf16 tensors as F16/BF16 and int8
# weights as compressed-tensors' I8 values with their scales; Import-Model restores the records; Export-Model -Report
# gives the bytes by tensor type. The xUnit twin is tests/CondensaPS.Engine.Tests/ModelFileQuantizedExportTests.cs.
#   Invoke-Pester tests/QuantizedFormats.Tests.ps1

BeforeDiscovery {
    # Debian's python3-torch (CI installs it); without it the PyTorch check is skipped and says why.
    $HasPyTorch = $false
    if (Test-Path /usr/bin/python3) {
        & /usr/bin/python3 -c 'import torch' 2>$null
        $HasPyTorch = $LASTEXITCODE -eq 0
    }
}

BeforeAll {
    Import-Module "$PSScriptRoot/../out/CondensaPS/CondensaPS.psd1" -Force
}

Describe 'Export-Model to SafeTensors of a quantized model' {
    It 'stores <Type> as <Code> and Import-Model brings the <Type> records back' -ForEach @(
        @{ Type = 'Float16'; Code = 'F16'; DType = 'float16' }
        @{ Type = 'BFloat16'; Code = 'BF16'; DType = 'bfloat16' }
    ) {
        $q = New-Model lenet5 -Seed 1 | Invoke-Prune -Ratio 0.5 | Invoke-Quantize -Type $Type
        $path = Join-Path $TestDrive "$Type.safetensors"
        $report = $q | Export-Model -Path $path -Report
        $report.BytesByType.Keys | Should -Contain $DType
        $report.BytesByType[$DType] | Should -Be ($q.Parameters * 2)
        ($report.BytesByType.Values | Measure-Object -Sum).Sum | Should -Be (Get-Item $path).Length
        $header = [CondensaPS.Engine.Formats.SafeTensorsFile]::ReadHeader($path)
        ($header.Item1 | ForEach-Object DType | Sort-Object -Unique) | Should -Be $Code
        $back = Import-Model $path
        $back.DType | Should -Be $DType
        ($back | Get-ModelLayer | ForEach-Object NonZeros) | Should -Be ($q | Get-ModelLayer | ForEach-Object NonZeros)
    }

    It 'stores int8 weights as I8 values with compressed-tensors weight_scale tensors' {
        $q = New-Model lenet5 -Seed 2 | Invoke-Quantize -Type Int8
        $path = Join-Path $TestDrive 'int8.safetensors'
        $report = $q | Export-Model -Path $path -Report
        $report.BytesByType['int8'] | Should -BeGreaterThan 0
        $entries = @{}
        [CondensaPS.Engine.Formats.SafeTensorsFile]::ReadHeader($path).Item1 | ForEach-Object { $entries[$_.Name] = $_ }
        $entries['fc1.weight'].DType | Should -Be 'I8'
        $entries['fc1.weight_scale'].Shape | Should -Be @(120, 1)
        $entries['conv1.weight_scale'].Shape | Should -Be @(6, 1, 1, 1)
        $entries.ContainsKey('fc1.weight_zero_point') | Should -BeFalse
        $config = [CondensaPS.Engine.Formats.SafeTensorsFile]::ReadMetadata($path)['quantization_config'] | ConvertFrom-Json
        $config.quant_method | Should -Be 'compressed-tensors'
        $config.config_groups.group_0.weights.strategy | Should -Be 'channel'
        (Import-Model $path).DType | Should -Be 'int8'
    }

    It 'PyTorch loads the float16 file into its fp32 LeNet-5 with load_state_dict (needs Debian python3-torch)' -Skip:(-not $HasPyTorch) {
        $q = New-Model lenet5 -Seed 3 | Invoke-Quantize -Type Float16
        $weights = Join-Path $TestDrive 'lenet.safetensors'
        $q | Export-Model -Path $weights
        $io = [CondensaPS.Engine.Formats.SafeTensorsFile]::Read((Join-Path $PSScriptRoot 'fixtures' 'lenet5.io.safetensors'))
        $ours = Join-Path $TestDrive 'ours.io.safetensors'
        $output = $q.Forward($io['input'])
        $pairs = [System.Collections.Generic.List[System.ValueTuple[string, TorchSharp.torch+Tensor]]]::new()
        $pairs.Add([System.ValueTuple[string, TorchSharp.torch+Tensor]]::new('input', $io['input']))
        $pairs.Add([System.ValueTuple[string, TorchSharp.torch+Tensor]]::new('output', $output))
        [CondensaPS.Engine.Formats.SafeTensorsFile]::Write($ours, $pairs, $null)
        $env:PYTHONDONTWRITEBYTECODE = '1'
        & /usr/bin/python3 (Join-Path $PSScriptRoot 'fixtures' 'check_with_pytorch.py') safetensors lenet5 $weights $ours
        $LASTEXITCODE | Should -Be 0
    }
}

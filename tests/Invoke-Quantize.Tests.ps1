# Pester 5 suite for Invoke-Quantize (the xUnit module twin: tests/CondensaPS.Module.Tests/CompressionCmdletTests.cs).
# Run alone: .tools/pwsh/pwsh tests/Invoke-PesterSuites.ps1 tests/Invoke-Quantize.Tests.ps1
BeforeAll {
    . "$PSScriptRoot/Pester.Helpers.ps1"
}

Describe 'Invoke-Quantize' {
    It 'records int8 and float16 storage and keeps pruned zeros' {
        $m = New-Model -Architecture lenet5 -Seed 5
        $p = $m | Invoke-Prune -Ratio 0.5
        $q = $p | Invoke-Quantize -Type Int8 -Granularity PerTensor
        $q.DType | Should -Be 'int8'
        $q.NonZeros | Should -Be $p.NonZeros
        ($m | Invoke-Quantize -Type Float16).DType | Should -Be 'float16'
        @($q | Get-ModelLayer)[0].Bytes | Should -Be (6 * 25 + 4)
    }

    It 'shares weights through per-layer codebooks with -Type Cluster' {
        $m = New-Model -Architecture lenet5 -Seed 5
        $c = $m | Invoke-Prune -Ratio 0.8 | Invoke-Quantize -Type Cluster -Bits 3
        $c.DType | Should -Be 'cluster3'
        $layer = @($c | Get-ModelLayer)[1]
        $layer.Bits | Should -Be 3
        $layer.DType | Should -Be 'cluster3'
        $c.History[1].Settings['initialization'] | Should -Be 'linear'
        ($m | Invoke-Quantize -Type Cluster -Initialization Density).History[0].Settings['bits'] | Should -Be 5
        ($m | Invoke-Quantize -Type Cluster).DType | Should -Be 'cluster5'
    }

    It 'refuses -Bits <Bits> as a parameter validation error' -ForEach @(@{ Bits = 1 }, @{ Bits = 9 }) {
        { New-Model -Architecture lenet5 | Invoke-Quantize -Type Cluster -Bits $Bits -ErrorAction Stop } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,CondensaPS.Cmdlets.InvokeQuantizeCommand'
    }

    It 'refuses more clusters than a layer keeps weights, naming the bits and the layer' {
        $e = Get-ErrorRecord { New-Model -Architecture lenet5 | Invoke-Quantize -Type Cluster -Bits 8 -Include conv1.bias }
        $e.FullyQualifiedErrorId | Should -BeLike 'InvalidStepSetting,*'
        $e.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $e.Exception.Message | Should -BeLike "*8 bits make 256 clusters*conv1.bias*"
    }

    It 'refuses -Bits with another type, naming the value' {
        $e = Get-ErrorRecord { New-Model -Architecture lenet5 | Invoke-Quantize -Type Int8 -Bits 4 }
        $e.FullyQualifiedErrorId | Should -BeLike 'InvalidStepSetting,*'
        $e.Exception.Message | Should -BeLike "*4 applies to type cluster*"
    }
}

Describe 'Invoke-Quantize error rules and completion' {
    It 'reports a model with nothing to quantize as a non-terminating error' {
        $Error.Clear()
        $out = New-Model lenet5 | Invoke-Quantize -Type Int8 -Include 'nothing.*' -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $Error[0].FullyQualifiedErrorId | Should -Be 'NothingToQuantize,CondensaPS.Cmdlets.InvokeQuantizeCommand'
    }

    It 'completes -Exclude with the layers of a model piped through other steps' {
        $line = 'New-Model lenet5 | Invoke-Prune -Ratio 0.5 | Invoke-Quantize -Type Int8 -Exclude '
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('conv1.*', 'conv2.*', 'fc1.*', 'fc2.*', 'fc3.*')
    }
}

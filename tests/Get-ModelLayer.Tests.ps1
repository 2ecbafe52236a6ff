# Pester 5 suite for Get-ModelLayer. Run alone: .tools/pwsh/pwsh tests/Invoke-PesterSuites.ps1 tests/Get-ModelLayer.Tests.ps1
BeforeAll {
    . "$PSScriptRoot/Pester.Helpers.ps1"
}

Describe 'Get-ModelLayer' {
    It 'lists the convolution and linear weights with shape, parameters and bytes' {
        $layers = @(New-Model lenet5 -Seed 1 | Get-ModelLayer)
        $layers.Parameter | Should -Be @('conv1.weight', 'conv2.weight', 'fc1.weight', 'fc2.weight', 'fc3.weight')
        $layers[0].Kind | Should -Be 'conv'
        $layers[2].Kind | Should -Be 'linear'
        "$($layers[1].Shape)" | Should -Be '16x6x5x5'
        $layers[1].Parameters | Should -Be 2400
        $layers[1].Bytes | Should -Be 9600
        $layers[1].DType | Should -Be 'float32'
        ($layers | Measure-Object Parameters -Sum).Sum | Should -Be (150 + 2400 + 48000 + 10080 + 840)
    }

    It 'lists every parameter with -All' {
        $all = @(New-Model lenet5 -Seed 1 | Get-ModelLayer -All)
        $all.Count | Should -Be 10
        ($all | Measure-Object Parameters -Sum).Sum | Should -Be 61706
        $all.Parameter | Should -Contain 'fc3.bias'
    }

    It 'filters by -Name wildcards and takes the model by property name' {
        $m = New-Model lenet5 -Seed 1
        @(Get-ModelLayer -Model $m -Name 'fc*').Parameter | Should -Be @('fc1.weight', 'fc2.weight', 'fc3.weight')
        @([pscustomobject]@{ Model = $m } | Get-ModelLayer 'conv1*').Parameter | Should -Be @('conv1.weight')
    }

    It 'shows the sparsity and mask that pruning leaves' {
        $p = New-Model lenet5 -Seed 1 | Invoke-Prune -Ratio 0.5 -Scope Layer
        foreach ($l in ($p | Get-ModelLayer)) {
            $l.Sparsity | Should -BeGreaterOrEqual 0.49
            $l.NonZeros | Should -Be ($l.Parameters - [math]::Round(0.5 * $l.Parameters, [MidpointRounding]::ToEven))
            $l.Masked | Should -BeTrue
        }
    }
}

Describe 'Get-ModelLayer completion and error rules' {
    It 'completes -Name with the layers of the model piped from a variable' {
        $global:condensaCompletionLeNet = New-Model lenet5 -Seed 1
        try {
            $line = '$condensaCompletionLeNet | Get-ModelLayer -Name '
            (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText | Should -Be @('conv1.*', 'conv2.*', 'fc1.*', 'fc2.*', 'fc3.*')
        }
        finally { Remove-Variable -Scope Global condensaCompletionLeNet }
    }

    It 'reports a disposed model as a non-terminating error' {
        $gone = New-Model lenet5
        $gone.Dispose()
        $Error.Clear()
        $out = $gone | Get-ModelLayer -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $Error[0].FullyQualifiedErrorId | Should -Be 'ModelDisposed,CondensaPS.Cmdlets.GetModelLayerCommand'
    }
}

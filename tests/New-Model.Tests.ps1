# Pester 5 suite for New-Model. Run alone: .tools/pwsh/pwsh tests/Invoke-PesterSuites.ps1 tests/New-Model.Tests.ps1
BeforeAll {
    . "$PSScriptRoot/Pester.Helpers.ps1"
}

Describe 'New-Model' {
    It 'makes <Architecture> with <Parameters> parameters' -ForEach @(
        @{ Architecture = 'mlp'; Options = @{}; Parameters = 235146; Spec = 'mlp(1x28x28 -> 256-128 -> 10)' }
        @{ Architecture = 'lenet5'; Options = @{}; Parameters = 61706; Spec = 'lenet5(in=1, classes=10)' }
        @{ Architecture = 'resnet18'; Options = @{ NumClasses = 10; InputChannels = 1 }; Parameters = 11175370; Spec = 'resnet18(in=1, classes=10)' }
    ) {
        $m = New-Model -Architecture $Architecture @Options
        $m.Architecture | Should -Be $Architecture
        $m.Parameters | Should -Be $Parameters
        "$($m.Spec)" | Should -Be $Spec
        $m.Device | Should -Be 'cpu'
        $m.DType | Should -Be 'float32'
        $m.History.Count | Should -Be 0
    }

    It 'shapes an mlp with -HiddenSizes, -InputSize and -NumClasses, and names it with -Name' {
        $m = New-Model mlp -HiddenSizes 32, 16 -NumClasses 5 -InputSize 8 -Name small
        "$($m.Spec)" | Should -Be 'mlp(1x8x8 -> 32-16 -> 5)'
        $m.Parameters | Should -Be (64 * 32 + 32 + 32 * 16 + 16 + 16 * 5 + 5)
        $m.Name | Should -Be 'small'
    }

    It 'gives the same weights for the same -Seed and different ones for another' {
        $x = [TorchSharp.torch]::ones([long[]](1, 1, 28, 28))
        $a = New-Model lenet5 -Seed 5
        $b = New-Model lenet5 -Seed 5
        $c = New-Model lenet5 -Seed 6
        Test-TensorEqual $a.Forward($x) $b.Forward($x) | Should -BeTrue
        Test-TensorEqual $a.Forward($x) $c.Forward($x) | Should -BeFalse
    }

    It 'reports <Id> (<Category>) for <Case>' -ForEach @(
        @{ Case = 'an unknown architecture'; Script = { New-Model vgg99 }; Id = 'UnknownArchitecture'; Category = 'InvalidArgument'; Says = 'mlp, lenet5, resnet18, resnet50' }
        @{ Case = 'CUDA on a CPU build'; Script = { New-Model lenet5 -Device cuda:1 }; Id = 'CudaNotInThisBuild'; Category = 'NotInstalled'; Says = '-p:TorchBackend=cuda' }
    ) {
        $e = Get-ErrorRecord $Script
        $e | Should -Not -BeNullOrEmpty
        $e.FullyQualifiedErrorId | Should -BeLike "$Id,*"
        $e.CategoryInfo.Category | Should -Be $Category
        $e.Exception.Message | Should -BeLike "*$([WildcardPattern]::Escape($Says))*"
    }
}

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

    It 'makes <Architecture> with torchvision''s parameter count for the same settings' -ForEach @(
        @{ Architecture = 'vgg16_bn'; Settings = @{ InputSize = 32; PoolSize = 1; HiddenSizes = 64, 32; NumClasses = 10 }; Parameters = 14758378 }
        @{ Architecture = 'mobilenet_v2'; Settings = @{ InputSize = 32; NumClasses = 10 }; Parameters = 2236682 }
    ) {
        $m = New-Model $Architecture @Settings -Seed 1
        $m.Architecture | Should -Be $Architecture
        $m.Parameters | Should -Be $Parameters
        $m.Forward([TorchSharp.torch]::zeros([long[]](2, 3, 32, 32))).shape | Should -Be @(2, 10)
    }

    It 'completes the architecture names' {
        $completions = (TabExpansion2 -inputScript 'New-Model -Architecture vgg' -cursorColumn 27).CompletionMatches.CompletionText
        $completions | Should -Be @('vgg16_bn', 'vgg19_bn')
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
        @{ Case = 'an unknown architecture'; Script = { New-Model vgg99 }; Id = 'UnknownArchitecture'; Category = 'InvalidArgument'; Says = 'mlp, lenet5, lenet5-caffe, resnet18, resnet50' }
        @{ Case = 'CUDA on a CPU build'; Script = { New-Model lenet5 -Device cuda:1 }; Id = 'CudaNotInThisBuild'; Category = 'NotInstalled'; Says = '-p:TorchBackend=cuda' }
        @{ Case = 'a VGG on inputs smaller than 32 pixels'; Script = { New-Model vgg19_bn -InputSize 28 }; Id = 'InvalidArchitectureSetting'; Category = 'InvalidArgument'; Says = 'at least 32x32' }
        @{ Case = 'a pool size for a ResNet'; Script = { New-Model resnet18 -PoolSize 1 }; Id = 'InvalidArchitectureSetting'; Category = 'InvalidArgument'; Says = 'pool size' }
        @{ Case = 'three hidden sizes for a VGG'; Script = { New-Model vgg16_bn -HiddenSizes 1, 2, 3 }; Id = 'InvalidArchitectureSetting'; Category = 'InvalidArgument'; Says = 'two hidden sizes' }
    ) {
        $e = Get-ErrorRecord $Script
        $e | Should -Not -BeNullOrEmpty
        $e.FullyQualifiedErrorId | Should -BeLike "$Id,*"
        $e.CategoryInfo.Category | Should -Be $Category
        $e.Exception.Message | Should -BeLike "*$([WildcardPattern]::Escape($Says))*"
    }
}

Describe 'New-Model error rules' {
    It 'reports an unknown architecture as a non-terminating error: -ErrorAction SilentlyContinue goes on' {
        $Error.Clear()
        $m = New-Model -Architecture lenet6 -ErrorAction SilentlyContinue
        $m | Should -BeNullOrEmpty
        $Error.Count | Should -Be 1
        $Error[0].FullyQualifiedErrorId | Should -Be 'UnknownArchitecture,CondensaPS.Cmdlets.NewModelCommand'
        { New-Model -Architecture lenet6 -ErrorAction Stop } | Should -Throw -ErrorId 'UnknownArchitecture,*'
    }
}

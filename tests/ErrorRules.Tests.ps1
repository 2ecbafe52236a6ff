# Pester 5 suite: PowerShell's error rules and argument completion, for pwsh users. The same behaviour the xUnit module
# tests check (tests/CondensaPS.Module.Tests/ErrorRulesTests.cs, CompleterTests.cs).
#   Invoke-Pester tests/ErrorRules.Tests.ps1

BeforeAll {
    Import-Module "$PSScriptRoot/../out/CondensaPS/CondensaPS.psd1" -Force
    $script:Val = Import-Dataset (Join-Path $PSScriptRoot '..' 'data' 'mnist' 'val-images-idx3-ubyte.gz') -First 16
}

Describe 'A failure about one input object is non-terminating' {
    It '<Case>: -ErrorAction SilentlyContinue goes on, and the error keeps <Id>' -ForEach @(
        @{ Case = 'New-Model, unknown architecture'; Script = { New-Model -Architecture lenet6 @args }; Id = 'UnknownArchitecture'; Category = 'InvalidArgument' }
        @{ Case = 'Export-Model, missing folder'; Script = { New-Model lenet5 | Export-Model -Path /no/such/folder/m.safetensors @args }; Id = 'OutputFolderNotFound'; Category = 'ObjectNotFound' }
        @{ Case = 'Invoke-Prune, nothing to prune'; Script = { New-Model mlp | Invoke-Prune -Ratio 0.5 -Method Filter @args }; Id = 'NothingToPrune'; Category = 'InvalidArgument' }
        @{ Case = 'Measure-Mismatch, no reference'; Script = { New-Model lenet5 | Measure-Mismatch -Data $Val @args }; Id = 'ReferenceRequired'; Category = 'InvalidArgument' }
        @{ Case = 'Export-Strategy, no history'; Script = { New-Model lenet5 | Export-Strategy -Path (Join-Path $TestDrive 'h.yaml') @args }; Id = 'HistoryEmpty'; Category = 'InvalidOperation' }
        @{ Case = 'Import-Dataset, missing file'; Script = { Import-Dataset /no/such/x-images-idx3-ubyte -LabelPath /no/such/x-labels-idx1-ubyte @args }; Id = 'DatasetFileNotFound'; Category = 'ObjectNotFound' }
    ) {
        # The script blocks pass -ErrorAction on to the cmdlet (@args); a silenced error still lands in $Error.
        $Error.Clear()
        $result = & $Script -ErrorAction SilentlyContinue
        $result | Should -BeNullOrEmpty
        $Error.Count | Should -Be 1
        $Error[0].FullyQualifiedErrorId | Should -BeLike "$Id,*"
        $Error[0].CategoryInfo.Category | Should -Be $Category
        { & $Script -ErrorAction Stop } | Should -Throw -ErrorId "$Id,*"
    }

    It 'lets the next piped model run' {
        $models = @((New-Model mlp -Seed 1), (New-Model lenet5 -Seed 1))
        $out = $models | Invoke-Prune -Ratio 0.5 -Method Filter -ErrorAction SilentlyContinue -ErrorVariable failed
        @($out).Count | Should -Be 1
        $out.Architecture | Should -Be 'lenet5'
        $failed.Count | Should -Be 1
    }
}

Describe 'A problem with the parameters stops the command' {
    It '<Case> stops with <Id> under -ErrorAction SilentlyContinue' -ForEach @(
        @{ Case = 'Invoke-Prune without -Ratio'; Script = { New-Model lenet5 | Invoke-Prune -Method Magnitude -ErrorAction SilentlyContinue }; Id = 'RatioRequired' }
        @{ Case = 'Export-Model to a format never written'; Script = { New-Model lenet5 | Export-Model -Path (Join-Path $TestDrive 'x.pt') -Format PyTorchStateDict -ErrorAction SilentlyContinue }; Id = 'FormatNotWritable' }
        @{ Case = 'Import-Dataset with an odd -Normalize'; Script = { Import-Dataset /no/such/file -Normalize 0.1, 0.2, 0.3 -ErrorAction SilentlyContinue }; Id = 'DatasetBadNormalize' }
    ) {
        $Script | Should -Throw -ErrorId "$Id,*"
    }

    It 'Import-Module of a copy without natives fails with NativeLibraryLoadFailed (NotInstalled)' {
        $module = Join-Path $TestDrive 'CondensaPS'
        New-Item -ItemType Directory $module | Out-Null
        Get-ChildItem "$PSScriptRoot/../out/CondensaPS" | Where-Object Name -ne 'runtimes' | Copy-Item -Destination $module -Recurse
        $pwsh = Join-Path $PSHOME 'pwsh'   # the pwsh running these tests
        $out = & $pwsh -NoProfile -Command "try { Import-Module '$module/CondensaPS.psd1' -ErrorAction Stop; 'imported' } catch { `$_.FullyQualifiedErrorId; [string]`$_.CategoryInfo.Category }" 2>&1
        $out | Should -Contain 'NativeLibraryLoadFailed,Microsoft.PowerShell.Commands.ImportModuleCommand'
        $out | Should -Contain 'NotInstalled'
        $out | Should -Not -Contain 'imported'
    }
}

Describe 'Argument completion follows the pipeline' {
    BeforeAll {
        $script:LeNet = New-Model lenet5 -Seed 1
        function script:Complete([string] $Line) { (TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches.CompletionText }
    }

    It 'offers LeNet-5 layers for <Line>' -ForEach @(
        @{ Line = '$LeNet | Get-ModelLayer -Name ' }
        @{ Line = 'New-Model lenet5 | Invoke-Prune -Ratio 0.5 | Invoke-Quantize -Type Int8 -Exclude ' }
        @{ Line = 'Import-Model w.safetensors -Architecture lenet5 | Invoke-Prune -Ratio 0.5 -Include ' }
    ) {
        Complete $Line | Should -Be @('conv1.*', 'conv2.*', 'fc1.*', 'fc2.*', 'fc3.*')
    }

    It 'offers ResNet-18 layers after New-Model resnet18' {
        Complete 'New-Model resnet18 | Invoke-Prune -Ratio 0.5 -Exclude layer4.1' | Should -Be @('layer4.1.conv1.*', 'layer4.1.conv2.*')
    }
}

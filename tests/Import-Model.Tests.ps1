# Pester 5 suite for Import-Model (the xUnit module twin: tests/CondensaPS.Module.Tests/ModelFileCmdletTests.cs).
# Fixtures: tests/fixtures (see its README). Run alone: .tools/pwsh/pwsh tests/Invoke-PesterSuites.ps1 tests/Import-Model.Tests.ps1
BeforeAll {
    . "$PSScriptRoot/Pester.Helpers.ps1"
    $Tolerance = 1e-5
}

Describe 'Import-Model reproduces PyTorch''s outputs' {
    It 'loads <File> (<Shown>)' -ForEach @(
        @{ File = 'lenet5_scripted.pt'; Arch = $null; Io = 'lenet5'; Shown = 'torchscript'; Traced = $false }
        @{ File = 'lenet5_traced.pt'; Arch = $null; Io = 'lenet5'; Shown = 'torchscript (traced)'; Traced = $true }
        @{ File = 'bn_cnn_scripted.pt'; Arch = $null; Io = 'bn_cnn'; Shown = 'torchscript'; Traced = $false }
        @{ File = 'bn_cnn_traced.pt'; Arch = $null; Io = 'bn_cnn'; Shown = 'torchscript (traced)'; Traced = $true }
        @{ File = 'lenet5_state_dict.pt'; Arch = 'lenet5'; Io = 'lenet5'; Shown = 'lenet5'; Traced = $false }
        @{ File = 'mlp_state_dict.pt'; Arch = 'mlp'; Io = 'mlp'; Shown = 'mlp'; Traced = $false }
        @{ File = 'lenet5_checkpoint.pth'; Arch = 'lenet5'; Io = 'lenet5'; Shown = 'lenet5'; Traced = $false }
    ) {
        $p = @{ Path = (Fixture $File) }
        if ($Arch) { $p.Architecture = $Arch }
        $m = Import-Model @p
        $m.Architecture | Should -Be $Shown
        $m.IsTraced | Should -Be $Traced
        $m.Device | Should -Be 'cpu'
        Get-MaxDiff $m $Io | Should -BeLessOrEqual $Tolerance
    }

    It 'says in verbose output that it unwrapped a checkpoint and removed the module. prefix' {
        $lines = Import-Model (Fixture 'lenet5_checkpoint.pth') -Architecture lenet5 -Verbose 4>&1 | ForEach-Object { "$_" }
        ($lines -like "*reading the weights under its 'state_dict' entry*").Count | Should -Be 1
        ($lines -like "*'module.' prefix*").Count | Should -Be 1
    }

    It 'imports safetensors exported from a built-in model without -Architecture' {
        $m = New-Model mlp -HiddenSizes 32, 16 -NumClasses 5 -InputSize 8 -Seed 2
        $path = Join-Path $TestDrive 'small.safetensors'
        $m | Export-Model -Path $path
        $n = Import-Model $path
        $n.Architecture | Should -Be 'mlp'
        "$($n.Spec)" | Should -Be 'mlp(1x8x8 -> 32-16 -> 5)'
        $n.Parameters | Should -Be $m.Parameters
    }
}

Describe 'Import-Model of built-in models with narrowed layers' {
    It 'reads a slimmed ResNet-18''s bare safetensors into resnet18 at the widths its tensors have' {
        $spec = (New-Model resnet18 -InputSize 32 -NumClasses 10).Spec
        $widths = [System.Collections.Generic.Dictionary[string, int]]::new()
        $widths['layer2.0.conv1'] = 70
        $widths['layer4.1.conv1'] = 300
        $narrow = $spec.WithWidths($widths)
        $m = [CondensaPS.Engine.Models.CompressionModel]::FromBuiltIn([CondensaPS.Engine.Architectures.ArchitectureRegistry]::Build($narrow), $narrow, 'narrow', 'test', [TorchSharp.torch]::CPU)
        # Weights without CondensaPS's metadata, as another tool writes them.
        $path = Join-Path $TestDrive 'bare.safetensors'
        $m | Export-Model -Path $path
        $tensors = [CondensaPS.Engine.Formats.SafeTensorsFile]::Read($path)
        $pairs = [System.ValueTuple[string, TorchSharp.torch+Tensor][]]@($tensors.GetEnumerator() | ForEach-Object { [System.ValueTuple[string, TorchSharp.torch+Tensor]]::new($_.Key, $_.Value) })
        [CondensaPS.Engine.Formats.SafeTensorsFile]::Write($path, $pairs, $null)
        $lines = Import-Model $path -Architecture resnet18 -NumClasses 10 -InputSize 32 -Verbose 4>&1
        $n = $lines | Where-Object { $_ -is [CondensaPS.Engine.Models.CompressionModel] }
        "$($lines | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] })" | Should -BeLike '*layers of other widths*'
        $n.Spec.Widths['layer4.1.conv1'] | Should -Be 300
        $n.Parameters | Should -Be $m.Parameters
        $x = [TorchSharp.torch]::randn([long[]](2, 3, 32, 32))
        Test-TensorEqual $m.Forward($x) $n.Forward($x) | Should -BeTrue
    }
}

Describe 'Import-Model on bad input' {
    It 'reports <Id> (<Category>) for <Case>' -ForEach @(
        @{ Case = 'a missing file'; Script = { Import-Model -Path /no/such/model.pt -Architecture lenet5 }; Id = 'ModelFileNotFound'; Category = 'ObjectNotFound'; Says = '/no/such/model.pt' }
        @{ Case = 'a file that is not a model'; Script = { Import-Model -Path (Fixture 'make_fixtures.py') -Architecture lenet5 }; Id = 'UnrecognizedModelFormat'; Category = 'InvalidData'; Says = 'make_fixtures.py' }
        @{ Case = 'names and shapes that do not fit'; Script = { Import-Model -Path (Fixture 'lenet5_state_dict.pt') -Architecture mlp }; Id = 'StateDictMismatch'; Category = 'InvalidData'; Says = "'fc1.weight' is [120x400] in the file but [256x784]" }
        @{ Case = 'an unknown architecture'; Script = { Import-Model -Path (Fixture 'lenet5_state_dict.pt') -Architecture vgg99 }; Id = 'UnknownArchitecture'; Category = 'InvalidArgument'; Says = 'vgg99' }
        @{ Case = 'weights without an architecture'; Script = { Import-Model -Path (Fixture 'lenet5_state_dict.pt') }; Id = 'ArchitectureRequired'; Category = 'InvalidArgument'; Says = '-Architecture' }
        @{ Case = 'CUDA on a CPU build'; Script = { Import-Model -Path (Fixture 'lenet5_scripted.pt') -Device cuda }; Id = 'CudaNotInThisBuild'; Category = 'NotInstalled'; Says = '-p:TorchBackend=cuda' }
    ) {
        $e = Get-ErrorRecord $Script
        $e | Should -Not -BeNullOrEmpty
        $e.FullyQualifiedErrorId | Should -BeLike "$Id,*"
        $e.CategoryInfo.Category | Should -Be $Category
        $e.Exception.Message | Should -BeLike "*$([WildcardPattern]::Escape($Says))*"
    }

    It 'refuses an archive whose tensor bytes were changed, naming the member that fails its CRC-32' {
        $bytes = [IO.File]::ReadAllBytes((Fixture 'lenet5_scripted.pt'))
        $zip = [IO.Compression.ZipFile]::OpenRead((Fixture 'lenet5_scripted.pt'))
        $member = ($zip.Entries | Where-Object FullName -like '*/data/*' | Sort-Object Length -Descending | Select-Object -First 1).FullName
        $zip.Dispose()
        $at = [Text.Encoding]::ASCII.GetString($bytes).IndexOf($member) + $member.Length + 200
        foreach ($i in 0..15) { $bytes[$at + $i] = $bytes[$at + $i] -bxor 0x5A }
        $bad = Join-Path $TestDrive 'damaged.pt'
        [IO.File]::WriteAllBytes($bad, $bytes)
        $e = Get-ErrorRecord { Import-Model -Path $bad }
        $e.FullyQualifiedErrorId | Should -BeLike 'ArchiveChecksumMismatch,*'
        $e.CategoryInfo.Category | Should -Be 'InvalidData'
        $e.Exception.Message | Should -BeLike "*'$member'*CRC-32*"
    }

    It 'refuses a truncated archive and still loads the other paths in the pipeline' {
        $bytes = [IO.File]::ReadAllBytes((Fixture 'lenet5_state_dict.pt'))
        $cut = Join-Path $TestDrive 'cut.pt'
        [IO.File]::WriteAllBytes($cut, [byte[]]$bytes[0..([int]($bytes.Length / 2))])
        $models = $cut, (Fixture 'lenet5_state_dict.pt') | Import-Model -Architecture lenet5 -ErrorVariable errs -ErrorAction SilentlyContinue
        $errs.Count | Should -Be 1
        $errs[0].FullyQualifiedErrorId | Should -BeLike 'TruncatedArchive,*'
        $errs[0].CategoryInfo.Category | Should -Be 'InvalidData'
        @($models).Count | Should -Be 1
    }

    It 'reports <Id> for a <Case> compact file and returns no model' -ForEach @(
        @{ Case = 'truncated'; Id = 'CompactTruncated' }
        @{ Case = 'corrupted'; Id = 'CompactChecksumMismatch' }
        @{ Case = 'future'; Id = 'CompactVersionUnsupported' }
    ) {
        $good = Join-Path $TestDrive 'good.cpz'
        New-Model -Architecture mlp -Seed 1 | Export-Model -Path $good -Force
        $bytes = [System.IO.File]::ReadAllBytes($good)
        switch ($Case) {
            'truncated' { $bytes = $bytes[0..([int]($bytes.Length / 2))] }
            'corrupted' { $bytes[$bytes.Length - 10] = $bytes[$bytes.Length - 10] -bxor 0xFF }
            'future' { $bytes[8] = 7 }
        }
        $bad = Join-Path $TestDrive "$Case.cpz"
        [System.IO.File]::WriteAllBytes($bad, [byte[]]$bytes)
        $result = Import-Model -Path $bad -ErrorVariable errs -ErrorAction SilentlyContinue
        $result | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -BeLike "$Id,*"
    }
}

Describe 'Import-Model of SafeTensors that carry quantization' {
    It 'restores int8 records with their scales, per <Granularity>' -ForEach @(@{ Granularity = 'PerChannel' }, @{ Granularity = 'PerTensor' }) {
        $q = New-Model lenet5 -Seed 4 | Invoke-Prune -Ratio 0.5 | Invoke-Quantize -Type Int8 -Granularity $Granularity
        $path = Join-Path $TestDrive "$Granularity.safetensors"
        $q | Export-Model -Path $path
        $back = Import-Model $path -Verbose 4>&1 | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] }
        $back.DType | Should -Be 'int8'
        $back.SizeBytes | Should -Be $q.SizeBytes
        $x = [TorchSharp.torch]::ones([long[]](2, 1, 28, 28))
        Test-TensorEqual $back.Forward($x) $q.Forward($x) | Should -BeTrue
    }
}

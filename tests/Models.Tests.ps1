# Pester 5 suite for Import-Model, New-Model and Export-Model: the same behaviour the xUnit module tests check
# (tests/CondensaPS.Module.Tests/ModelFile*Tests.cs), for pwsh users. Fixtures: tests/fixtures (see its README).
#   Invoke-Pester tests/Models.Tests.ps1

BeforeAll {
    Import-Module "$PSScriptRoot/../out/CondensaPS/CondensaPS.psd1" -Force
    $script:Fixtures = Join-Path $PSScriptRoot 'fixtures'
    $script:Tolerance = 1e-5

    function script:Fixture([string] $Name) { Join-Path $script:Fixtures $Name }

    # Largest absolute difference between a model's output and PyTorch's on the fixture's fixed input.
    function script:Get-MaxDiff($Model, [string] $IoName) {
        $t = [CondensaPS.Engine.Formats.SafeTensorsFile]::Read((Fixture "$IoName.io.safetensors"))
        $y = $Model.Forward($t['input'])
        [double](($y - $t['output']).abs().max().item[float]())
    }

    function script:Get-ErrorRecord([scriptblock] $Script) {
        $err = $null
        try { & $Script -ErrorAction Stop | Out-Null } catch { $err = $_ }
        $err
    }

    $script:HasPyTorch = $false
    if (Test-Path /usr/bin/python3) {
        & /usr/bin/python3 -c 'import torch' 2>$null
        $script:HasPyTorch = $LASTEXITCODE -eq 0
    }
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
}

Describe 'Export-Model then Import-Model' {
    BeforeEach { $dir = Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid().ToString('N')); New-Item -ItemType Directory $dir | Out-Null }
    AfterEach { Remove-Item -Recurse -Force $dir }

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

    It 'imports safetensors exported from a built-in model without -Architecture' {
        $m = New-Model mlp -HiddenSizes 32, 16 -NumClasses 5 -InputSize 8 -Seed 2
        $m | Export-Model -Path (Join-Path $dir 'small.safetensors')
        $n = Import-Model (Join-Path $dir 'small.safetensors')
        $n.Architecture | Should -Be 'mlp'
        "$($n.Spec)" | Should -Be 'mlp(1x8x8 -> 32-16 -> 5)'
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
}

Describe 'Bad input gets a stable ErrorId and category' {
    It '<Case>' -ForEach @(
        @{ Case = 'missing file'; Script = { Import-Model -Path /no/such/model.pt -Architecture lenet5 }; Id = 'ModelFileNotFound'; Category = 'ObjectNotFound'; Says = '/no/such/model.pt' }
        @{ Case = 'not a model'; Script = { Import-Model -Path (Fixture 'make_fixtures.py') -Architecture lenet5 }; Id = 'UnrecognizedModelFormat'; Category = 'InvalidData'; Says = 'make_fixtures.py' }
        @{ Case = 'names and shapes that do not fit'; Script = { Import-Model -Path (Fixture 'lenet5_state_dict.pt') -Architecture mlp }; Id = 'StateDictMismatch'; Category = 'InvalidData'; Says = "'fc1.weight' is [120x400] in the file but [256x784]" }
        @{ Case = 'unknown architecture'; Script = { Import-Model -Path (Fixture 'lenet5_state_dict.pt') -Architecture vgg99 }; Id = 'UnknownArchitecture'; Category = 'InvalidArgument'; Says = 'vgg99' }
        @{ Case = 'weights without an architecture'; Script = { Import-Model -Path (Fixture 'lenet5_state_dict.pt') }; Id = 'ArchitectureRequired'; Category = 'InvalidArgument'; Says = '-Architecture' }
        @{ Case = 'CUDA on a CPU build'; Script = { Import-Model -Path (Fixture 'lenet5_scripted.pt') -Device cuda }; Id = 'CudaNotInThisBuild'; Category = 'NotImplemented'; Says = '-p:TorchBackend=cuda' }
        @{ Case = 'output folder missing'; Script = { New-Model lenet5 | Export-Model -Path /no/such/folder/m.safetensors }; Id = 'OutputFolderNotFound'; Category = 'ObjectNotFound'; Says = '/no/such/folder' }
        @{ Case = 'unwritable output (/proc refuses even root)'; Script = { New-Model lenet5 | Export-Model -Path /proc/condensaps-test.safetensors }; Id = 'OutputNotWritable'; Category = 'WriteError'; Says = '/proc/condensaps-test.safetensors' }
    ) {
        $e = Get-ErrorRecord $Script
        $e | Should -Not -BeNullOrEmpty
        $e.FullyQualifiedErrorId | Should -BeLike "$Id,*"
        $e.CategoryInfo.Category | Should -Be $Category
        $e.Exception.Message | Should -BeLike "*$([WildcardPattern]::Escape($Says))*"
    }

    It 'refuses a truncated archive and still loads the other paths in the pipeline' {
        $dir = Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory $dir | Out-Null
        try {
            $bytes = [IO.File]::ReadAllBytes((Fixture 'lenet5_state_dict.pt'))
            $cut = Join-Path $dir 'cut.pt'
            [IO.File]::WriteAllBytes($cut, [byte[]]$bytes[0..([int]($bytes.Length / 2))])
            $models = $cut, (Fixture 'lenet5_state_dict.pt') | Import-Model -Architecture lenet5 -ErrorVariable errs -ErrorAction SilentlyContinue
            $errs.Count | Should -Be 1
            $errs[0].FullyQualifiedErrorId | Should -BeLike 'TruncatedArchive,*'
            $errs[0].CategoryInfo.Category | Should -Be 'InvalidData'
            @($models).Count | Should -Be 1
        }
        finally { Remove-Item -Recurse -Force $dir }
    }
}

Describe 'PyTorch reads what Export-Model writes' {
    It 'torch.jit.load runs our TorchScript and load_state_dict(strict=True) takes our safetensors' -Skip:(-not $HasPyTorch) {
        $dir = Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory $dir | Out-Null
        try {
            Import-Model (Fixture 'lenet5_scripted.pt') | Export-Model -Path (Join-Path $dir 'ours.pt')
            Import-Model (Fixture 'lenet5_state_dict.pt') -Architecture lenet5 | Export-Model -Path (Join-Path $dir 'ours.safetensors')
            $env:PYTHONDONTWRITEBYTECODE = '1'
            & /usr/bin/python3 (Fixture 'check_with_pytorch.py') torchscript (Join-Path $dir 'ours.pt') (Fixture 'lenet5.io.safetensors')
            $LASTEXITCODE | Should -Be 0
            & /usr/bin/python3 (Fixture 'check_with_pytorch.py') safetensors lenet5 (Join-Path $dir 'ours.safetensors') (Fixture 'lenet5.io.safetensors')
            $LASTEXITCODE | Should -Be 0
        }
        finally { Remove-Item -Recurse -Force $dir }
    }
}

Describe 'Native loading from a module folder elsewhere (child pwsh processes)' {
    BeforeAll {
        $script:Work = Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory $Work | Out-Null
        $script:Source = Join-Path $PSScriptRoot '../out/CondensaPS'
    }
    AfterAll {
        & chmod -R u+w $Work
        Remove-Item -Recurse -Force $Work
    }

    It 'loads from a read-only copy and adds no file to it' {
        $module = Join-Path $Work 'readonly/CondensaPS'
        New-Item -ItemType Directory (Split-Path $module) | Out-Null
        Copy-Item -Recurse $Source $module
        Get-ChildItem -Recurse $module -Filter '*.glibcxx-weak.*' | Remove-Item   # the child must make its own
        & chmod -R a-w $module
        $before = (Get-ChildItem -Recurse -File $module).FullName | Sort-Object
        $out = & pwsh -NoProfile -Command "Import-Module '$module/CondensaPS.psd1'; (New-Model lenet5).Parameters" 2>&1
        $LASTEXITCODE | Should -Be 0
        "$out" | Should -Match '61706'
        # As root, chmod a-w stops no write, so the patched copy may land beside the original; for anyone else the
        # folder stays as it was and the copy goes to the per-user temp folder.
        if ([Environment]::UserName -ne 'root') {
            (Get-ChildItem -Recurse -File $module).FullName | Sort-Object | Should -Be $before
        }
    }

    It 'fails to import a copy without natives, with one message naming libtorch_cpu.so' {
        $module = Join-Path $Work 'nonatives/CondensaPS'
        New-Item -ItemType Directory $module -Force | Out-Null
        Get-ChildItem $Source | Where-Object Name -ne 'runtimes' | Copy-Item -Destination $module -Recurse
        $out = & pwsh -NoProfile -Command "Import-Module '$module/CondensaPS.psd1' -ErrorAction Stop; 'imported'" 2>&1
        $LASTEXITCODE | Should -Not -Be 0
        "$out" | Should -Not -Match 'imported'
        "$out" | Should -Match 'libtorch_cpu\.so'
    }
}

Describe 'One output file per call' {
    It '<Cmdlet> refuses a second piped model' -TestCases @(
        @{ Cmdlet = 'Export-Model'; File = 'two.tsw' }
        @{ Cmdlet = 'Export-Strategy'; File = 'two.yaml' }
    ) {
        $a = New-Model lenet5 -Seed 1 | Invoke-Prune -Ratio 0.5
        $b = New-Model lenet5 -Seed 2 | Invoke-Prune -Ratio 0.5
        { $a, $b | & $Cmdlet -Path (Join-Path $TestDrive $File) -ErrorAction Stop } | Should -Throw -ErrorId "MultipleModelsToOnePath*"
    }
}

# Pester 5 suite for pruning, quantization and strategies (the same behaviour as
# tests/CondensaPS.Module.Tests/CompressionCmdletTests.cs). Build first: dotnet build CondensaPS.sln
BeforeAll {
    Import-Module "$PSScriptRoot/../out/CondensaPS/CondensaPS.psd1" -Force
    $RepoRoot = Split-Path $PSScriptRoot -Parent
    $Strategies = Join-Path $RepoRoot 'examples/strategies'
    function New-TempFolder {
        $dir = Join-Path ([System.IO.Path]::GetTempPath()) ("condensaps-pester-" + [guid]::NewGuid().ToString('N'))
        $null = [System.IO.Directory]::CreateDirectory($dir)
        $dir
    }
}

Describe 'Invoke-Prune' {
    It 'zeroes exactly round(r*N) of the selected weights and leaves the input untouched' {
        $m = New-Model -Architecture lenet5 -Seed 3
        $p = $m | Invoke-Prune -Ratio 0.75
        $n = 0; $z = 0
        foreach ($l in ($p | Get-ModelLayer)) { $n += $l.Parameters; $z += $l.Parameters - $l.NonZeros }
        $z | Should -Be ([math]::Round(0.75 * $n, [MidpointRounding]::ToEven))
        $m.Sparsity | Should -Be 0
        $p.Reference | Should -Be $m
        $p.History[0].Settings['scope'] | Should -Be 'global'
    }

    It 'rejects a ratio outside [0, 1) as a parameter validation error' -TestCases @(@{ R = 1 }, @{ R = 1.5 }, @{ R = -0.1 }) {
        { New-Model -Architecture mlp | Invoke-Prune -Ratio $R -ErrorAction Stop } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,CondensaPS.Cmdlets.InvokePruneCommand'
    }

    It 'prunes whole filters keeping a multiple of -Align' {
        $f = New-Model -Architecture lenet5 -Seed 4 | Invoke-Prune -Ratio 0.7 -Method Filter -Align 4
        $conv2 = @($f | Get-ModelLayer 'conv2.weight')[0]
        # 16 filters of 150 weights: 16 - round(11.2) = 5 survivors, aligned up to 8.
        $conv2.NonZeros | Should -Be (8 * 150)
    }

    It 'keeps two of every four weights with -Method NM' {
        $nm = New-Model -Architecture lenet5 -Seed 4 | Invoke-Prune -Method NM -N 2 -M 4 -WarningAction SilentlyContinue
        @($nm | Get-ModelLayer 'fc1.weight')[0].Sparsity | Should -Be 0.5
        @($nm | Get-ModelLayer 'conv1.weight')[0].Sparsity | Should -Be 0
    }

    It 'refuses settings that do not fit the method' {
        { New-Model -Architecture mlp | Invoke-Prune -Ratio 0.5 -Criterion L2 -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidStepSetting,CondensaPS.Cmdlets.InvokePruneCommand'
    }
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
}

Describe 'Strategies' {
    It 'replays an exported history to the same model' {
        $dir = New-TempFolder
        $m = New-Model -Architecture lenet5 -Seed 6
        $c = $m | Invoke-Prune -Ratio 0.8 | Invoke-Quantize -Type Float16
        $file = $c | Export-Strategy -Path (Join-Path $dir 's.yaml')
        $r = Invoke-CompressionStrategy -Path $file.FullName -Model $m
        $a = @($c | Get-ModelLayer -All); $b = @($r | Get-ModelLayer -All)
        for ($i = 0; $i -lt $a.Count; $i++) { $b[$i].NonZeros | Should -Be $a[$i].NonZeros }
        $r.DType | Should -Be 'float16'
        (Test-Strategy -Path $file.FullName).Steps.Count | Should -Be 2
        { $c | Export-Strategy -Path (Join-Path $dir 's.yaml') } | Should -Throw -ErrorId 'OutputExists,CondensaPS.Cmdlets.ExportStrategyCommand'
    }

    It 'reports <Id> with file, line and column' -TestCases @(
        @{ Yaml = "version: 1`nname: x`nsteps:`n  - prune: { ratio: 0.5, colour: red }`n"; Id = 'StrategyUnknownSetting'; At = ':4:26:' }
        @{ Yaml = "version: 3`nname: x`nsteps:`n  - prune: { ratio: 0.5 }`n"; Id = 'StrategyVersion'; At = ':1:10:' }
        @{ Yaml = "version: 1`nname: x`nsteps:`n  - shrink: {}`n"; Id = 'StrategyUnknownStep'; At = ':4:5:' }
        @{ Yaml = "version: 1`nname: x`nsteps:`n  - prune: { ratio: 1.5 }`n"; Id = 'StrategyInvalidSetting'; At = ':4:21:' }
        @{ Yaml = "version: 1`nname: x`nsteps:`n  - prune: { ratio: `"`${r}`" }`n"; Id = 'StrategyUndefinedParameter'; At = ':4:21:' }
    ) {
        $path = Join-Path (New-TempFolder) 'bad.yaml'
        [System.IO.File]::WriteAllText($path, $Yaml)
        $err = $null
        Test-Strategy -Path $path -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -Be "$Id,CondensaPS.Cmdlets.TestStrategyCommand"
        $err[0].Exception.Message | Should -BeLike "*$path$At*"
    }

    It 'runs the example strategy <File>' -TestCases @(@{ File = 'prune80-fp16.yaml' }, @{ File = 'nm24-int8.yaml' }, @{ File = 'filter50-keep-edges.yaml' }) {
        $out = New-Model -Architecture lenet5 -Seed 8 | Invoke-CompressionStrategy -Path (Join-Path $Strategies $File) -WarningAction SilentlyContinue
        $out.Sparsity | Should -BeGreaterThan 0.05
    }

    It 'takes a model path and parameter overrides' {
        $dir = New-TempFolder
        $path = Join-Path $dir 'mlp.pt'
        New-Model -Architecture mlp -Seed 7 | Export-Model -Path $path
        $c = Invoke-CompressionStrategy -Path (Join-Path $Strategies 'prune80-fp16.yaml') -Model $path -Architecture mlp -Parameters @{ ratio = 0.5 }
        $c.History[0].Settings['ratio'] | Should -Be 0.5
    }

    It 'runs the prune-and-quantize example' {
        & (Join-Path $RepoRoot 'examples/prune-and-quantize.ps1') (New-TempFolder) 6>&1 | Out-String | Should -BeLike '*same non-zeros in every layer*'
    }
}

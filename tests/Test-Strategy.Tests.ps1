# Pester 5 suite for Test-Strategy (the xUnit module twin: tests/CondensaPS.Module.Tests/CompressionCmdletTests.cs).
# Run alone: .tools/pwsh/pwsh tests/Invoke-PesterSuites.ps1 tests/Test-Strategy.Tests.ps1
BeforeAll {
    . "$PSScriptRoot/Pester.Helpers.ps1"
}

Describe 'Test-Strategy' {
    It 'reports <Id> with file, line and column' -ForEach @(
        @{ Yaml = "version: 1`nname: x`nsteps:`n  - prune: { ratio: 0.5, colour: red }`n"; Id = 'StrategyUnknownSetting'; At = ':4:26:' }
        @{ Yaml = "version: 3`nname: x`nsteps:`n  - prune: { ratio: 0.5 }`n"; Id = 'StrategyVersion'; At = ':1:10:' }
        @{ Yaml = "version: 1`nname: x`nsteps:`n  - shrink: {}`n"; Id = 'StrategyUnknownStep'; At = ':4:5:' }
        @{ Yaml = "version: 1`nname: x`nsteps:`n  - prune: { ratio: 1.5 }`n"; Id = 'StrategyInvalidSetting'; At = ':4:21:' }
        @{ Yaml = "version: 1`nname: x`nsteps:`n  - prune: { ratio: `"`${r}`" }`n"; Id = 'StrategyUndefinedParameter'; At = ':4:21:' }
        @{ Yaml = "version: {1`nname: x`nsteps:`n  - prune: { ratio: 0.5 }`n"; Id = 'StrategySyntax'; At = ':1:10:' }
    ) {
        $path = Join-Path $TestDrive "$Id.yaml"
        [System.IO.File]::WriteAllText($path, $Yaml)
        $err = $null
        Test-Strategy -Path $path -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -Be "$Id,CondensaPS.Cmdlets.TestStrategyCommand"
        $err[0].Exception.Message | Should -BeLike "*$path$At*"
    }

    It 'refuses a strategy over the caps Set-CondensaConfiguration sets' {
        $path = Join-Path $TestDrive 'three.yaml'
        [System.IO.File]::WriteAllText($path, "version: 1`nname: three`nsteps:`n" + ("  - quantize: { type: float16 }`n" * 3))
        $before = Get-CondensaConfiguration
        try {
            Set-CondensaConfiguration -MaxStrategySteps 2
            $err = Get-ErrorRecord { Test-Strategy -Path $path }
            $err.FullyQualifiedErrorId | Should -Be 'StrategyTooManySteps,CondensaPS.Cmdlets.TestStrategyCommand'
            $err.Exception.Message | Should -BeLike "*$path:6:5:*"
            Set-CondensaConfiguration -MaxStrategySteps 1000 -MaxStrategyFileBytes 64
            (Get-ErrorRecord { Test-Strategy -Path $path }).FullyQualifiedErrorId | Should -Be 'StrategyTooLarge,CondensaPS.Cmdlets.TestStrategyCommand'
        }
        finally {
            Set-CondensaConfiguration -MaxStrategySteps $before.MaxStrategySteps -MaxStrategyFileBytes $before.MaxStrategyFileBytes
        }
        (Test-Strategy -Path $path).Steps.Count | Should -Be 3
    }
}

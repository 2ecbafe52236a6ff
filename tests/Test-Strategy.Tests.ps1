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
    ) {
        $path = Join-Path $TestDrive "$Id.yaml"
        [System.IO.File]::WriteAllText($path, $Yaml)
        $err = $null
        Test-Strategy -Path $path -ErrorAction SilentlyContinue -ErrorVariable err
        $err[0].FullyQualifiedErrorId | Should -Be "$Id,CondensaPS.Cmdlets.TestStrategyCommand"
        $err[0].Exception.Message | Should -BeLike "*$path$At*"
    }
}

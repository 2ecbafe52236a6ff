# Pester 5 suite for Set-CondensaConfiguration. Run alone:
#   .tools/pwsh/pwsh tests/Invoke-PesterSuites.ps1 tests/Set-CondensaConfiguration.Tests.ps1
BeforeAll {
    . "$PSScriptRoot/Pester.Helpers.ps1"
    $before = Get-CondensaConfiguration
}
AfterAll {
    Set-CondensaConfiguration -ThreadCount $before.ThreadCount -MaxStrategyFileBytes $before.MaxStrategyFileBytes -MaxStrategySteps $before.MaxStrategySteps
}

Describe 'Set-CondensaConfiguration' {
    It 'sets torch''s thread count, says so with -Verbose and returns the settings with -PassThru' {
        $verbose = Set-CondensaConfiguration -ThreadCount 1 -Verbose 4>&1 | ForEach-Object { "$_" }
        $verbose | Should -Be 'torch now uses 1 thread(s) in this process.'
        $c = Set-CondensaConfiguration -ThreadCount 2 -PassThru
        $c.ThreadCount | Should -Be 2
        [TorchSharp.torch]::get_num_threads() | Should -Be 2
    }

    It 'outputs nothing without -PassThru' {
        Set-CondensaConfiguration -ThreadCount 1 | Should -BeNullOrEmpty
    }

    It 'refuses a thread count of <Count>' -ForEach @(@{ Count = 0 }, @{ Count = 2000 }) {
        { Set-CondensaConfiguration -ThreadCount $Count -ErrorAction Stop } |
            Should -Throw -ErrorId 'ParameterArgumentValidationError,CondensaPS.Cmdlets.SetCondensaConfigurationCommand'
    }

    It 'sets the strategy caps, which Get-CondensaConfiguration shows (defaults 1 MiB and 1,000 steps)' {
        $before.MaxStrategyFileBytes | Should -Be 1048576
        $before.MaxStrategySteps | Should -Be 1000
        $c = Set-CondensaConfiguration -MaxStrategyFileBytes 4096 -MaxStrategySteps 10 -PassThru
        $c.MaxStrategyFileBytes | Should -Be 4096
        $c.MaxStrategySteps | Should -Be 10
        (Get-CondensaConfiguration).MaxStrategySteps | Should -Be 10
        $c.ThreadCount | Should -Be (Get-CondensaConfiguration).ThreadCount
    }

    It 'refuses a call that names no setting' {
        { Set-CondensaConfiguration -PassThru -ErrorAction Stop } |
            Should -Throw -ErrorId 'NoSettingGiven,CondensaPS.Cmdlets.SetCondensaConfigurationCommand'
    }
}

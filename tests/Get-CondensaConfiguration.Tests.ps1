# Pester 5 suite for Get-CondensaConfiguration. Run alone:
#   .tools/pwsh/pwsh tests/Invoke-PesterSuites.ps1 tests/Get-CondensaConfiguration.Tests.ps1
BeforeAll {
    . "$PSScriptRoot/Pester.Helpers.ps1"
}

Describe 'Get-CondensaConfiguration' {
    It 'shows the backend, thread count, version and the module''s own native folder' {
        $c = Get-CondensaConfiguration
        $c.Backend | Should -Be 'cpu'
        $c.CudaAvailable | Should -BeFalse
        $c.ThreadCount | Should -BeGreaterThan 0
        $c.Version | Should -Be "$((Get-Module CondensaPS).Version).0"
        $c.NativeFolder | Should -BeLike "$((Get-Module CondensaPS).ModuleBase)*"
        Test-Path (Join-Path $c.NativeFolder 'libtorch_cpu.so') | Should -BeTrue
    }

    It 'reports the thread count Set-CondensaConfiguration set' {
        $before = (Get-CondensaConfiguration).ThreadCount
        try {
            Set-CondensaConfiguration -ThreadCount 1
            (Get-CondensaConfiguration).ThreadCount | Should -Be 1
        }
        finally { Set-CondensaConfiguration -ThreadCount $before }
    }
}

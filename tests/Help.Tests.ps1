# Pester 5: Get-Help shows each cmdlet's help built from docs/en-US/<Verb-Noun>.md (synopsis, description, every
# parameter, at least two examples), and every example runs as it is written. The xUnit twin,
# tests/CondensaPS.Module.Tests/HelpCoverageTests.cs, checks the pages against the cmdlets' metadata and says what to
# add. Run alone: .tools/pwsh/pwsh tests/Invoke-PesterSuites.ps1 tests/Help.Tests.ps1
BeforeDiscovery {
    $root = Split-Path $PSScriptRoot -Parent
    $Cmdlets = (Import-PowerShellDataFile (Join-Path $root 'module/CondensaPS.psd1')).CmdletsToExport | Sort-Object
    # One test per example on each page (the examples themselves are read from Get-Help, that is from the MAML).
    $Examples = foreach ($c in $Cmdlets) {
        $page = Join-Path $root "docs/en-US/$c.md"
        $count = if (Test-Path $page) { @(Select-String -Path $page -Pattern '^### Example').Count } else { 0 }
        for ($i = 1; $i -le $count; $i++) { @{ Cmdlet = $c; Number = $i } }
    }
}

BeforeAll {
    . "$PSScriptRoot/Pester.Helpers.ps1"
    $Common = [System.Management.Automation.Cmdlet]::CommonParameters
    # The synopsis as the page writes it: the paragraph under '## SYNOPSIS'.
    function Get-PageSynopsis([string] $Cmdlet) {
        $text = Get-Content -Raw (Join-Path $RepoRoot "docs/en-US/$Cmdlet.md")
        if ($text -match '(?ms)^## SYNOPSIS\s*\n(.+?)\n\s*\n') { $Matches[1].Trim() }
    }
}

Describe 'Get-Help <_>' -ForEach $Cmdlets {
    BeforeAll {
        $cmdlet = $_
        $help = Get-Help $cmdlet -Full
    }

    It 'shows the synopsis and description of docs/en-US/<_>.md' {
        $help.Synopsis | Should -Be (Get-PageSynopsis $cmdlet) -Because "Get-Help reads out/CondensaPS/en-US/CondensaPS.dll-Help.xml, built from docs/en-US/$cmdlet.md"
        ($help.description.Text -join "`n") | Should -Not -BeNullOrEmpty
    }

    It 'describes every parameter' {
        $names = (Get-Command $cmdlet).Parameters.Keys | Where-Object { $_ -notin $Common }
        foreach ($name in $names) {
            $p = @($help.parameters.parameter) | Where-Object name -EQ $name
            $p | Should -Not -BeNullOrEmpty -Because "-$name needs its '### -$name' section in docs/en-US/$cmdlet.md"
            ($p.description.Text -join '') | Should -Not -BeNullOrEmpty -Because "-$name needs a description in docs/en-US/$cmdlet.md"
        }
    }

    It 'shows at least two examples with -Examples and in -Full' {
        @((Get-Help $cmdlet -Examples).examples.example).Count | Should -BeGreaterOrEqual 2
        $full = Get-Help $cmdlet -Full | Out-String
        $full | Should -Match 'Example 2'
        $full | Should -Match 'PARAMETERS'
    }
}

Describe 'Help examples run as written' {
    BeforeAll {
        $settings = Get-CondensaConfiguration
    }
    AfterEach {
        Set-CondensaConfiguration -ThreadCount $settings.ThreadCount -MaxStrategyFileBytes $settings.MaxStrategyFileBytes -MaxStrategySteps $settings.MaxStrategySteps
    }

    It '<Cmdlet> example <Number>' -ForEach $Examples {
        $example = @((Get-Help $Cmdlet -Examples).examples.example)[$Number - 1]
        $example | Should -Not -BeNullOrEmpty -Because "docs/en-US/$Cmdlet.md has example $Number but the built help does not (rebuild)"
        # Examples run from a folder that holds the repository's data/ and examples/, as they would from its root.
        $dir = New-TestFolder
        foreach ($name in 'data', 'examples') { $null = New-Item -ItemType SymbolicLink -Path (Join-Path $dir $name) -Target (Join-Path $RepoRoot $name) }
        # Examples write to the temp folder as a user's would ([IO.Path]::GetTempPath(), "mem-$PID" and the like); here
        # TMPDIR points it under $TestDrive, which Pester removes, so no run leaves its models and charts in /tmp.
        $userTemp = [IO.Path]::GetTempPath()
        $savedTemp = $env:TMPDIR
        $env:TMPDIR = (New-Item -ItemType Directory (Join-Path $dir 'tmp')).FullName
        $started = [datetime]::Now.AddSeconds(-1)
        Push-Location $dir
        try {
            $ErrorActionPreference = 'Stop'
            $output = & ([scriptblock]::Create($example.code)) | Out-String
        }
        finally { Pop-Location; $env:TMPDIR = $savedTemp }
        $output | Should -Not -BeNullOrEmpty -Because 'an example shows something'
        @(Get-ChildItem $userTemp -Filter "*-$PID*" | Where-Object LastWriteTime -GE $started).Name |
            Should -BeNullOrEmpty -Because 'an example''s files go under $TestDrive, not the user''s temp folder'
    }
}

Describe 'about_CondensaPS' {
    It 'is shown by Get-Help' {
        Get-Help about_CondensaPS | Out-String | Should -Match 'about_CondensaPS'
    }
}

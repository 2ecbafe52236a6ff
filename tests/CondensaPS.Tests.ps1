# Pester 5 suite for the module itself: importing it from a folder elsewhere, in child pwsh processes (the xUnit twin:
# tests/CondensaPS.Module.Tests/ModelFileNativeLoadingTests.cs). Run alone:
#   .tools/pwsh/pwsh tests/Invoke-PesterSuites.ps1 tests/CondensaPS.Tests.ps1
BeforeAll {
    . "$PSScriptRoot/Pester.Helpers.ps1"
    $Source = Join-Path $RepoRoot 'out/CondensaPS'
    # The pwsh that runs this suite (tests/Invoke-PesterSuites.ps1 puts .tools/pwsh first on the PATH).
    $Pwsh = (Get-Command pwsh -CommandType Application | Select-Object -First 1).Source
}

Describe 'Native loading from a module folder elsewhere (child pwsh processes)' {
    AfterAll {
        # Pester removes $TestDrive; a user other than root could not delete the read-only copy.
        & chmod -R u+w $TestDrive
    }

    It 'loads from a read-only copy and adds no file to it' {
        $module = Join-Path $TestDrive 'readonly/CondensaPS'
        New-Item -ItemType Directory (Split-Path $module) | Out-Null
        Copy-Item -Recurse $Source $module
        Get-ChildItem -Recurse $module -Filter '*.glibcxx-weak.*' | Remove-Item   # the child must make its own
        & chmod -R a-w $module
        $before = (Get-ChildItem -Recurse -File $module).FullName | Sort-Object
        $out = & $Pwsh -NoProfile -Command "Import-Module '$module/CondensaPS.psd1'; (New-Model lenet5).Parameters" 2>&1
        $LASTEXITCODE | Should -Be 0
        "$out" | Should -Match '61706'
        # As root, chmod a-w stops no write, so the patched copy may land beside the original; for anyone else the
        # folder stays as it was and the copy goes to the per-user temp folder.
        if ([Environment]::UserName -ne 'root') {
            (Get-ChildItem -Recurse -File $module).FullName | Sort-Object | Should -Be $before
        }
    }

    It 'fails to import a copy without natives, with one message naming libtorch_cpu.so' {
        $module = Join-Path $TestDrive 'nonatives/CondensaPS'
        New-Item -ItemType Directory $module -Force | Out-Null
        Get-ChildItem $Source | Where-Object Name -ne 'runtimes' | Copy-Item -Destination $module -Recurse
        # The import hook's exception ends only the Import-Module statement, so the script stops only when told to.
        $out = & $Pwsh -NoProfile -Command "`$ErrorActionPreference = 'Stop'; Import-Module '$module/CondensaPS.psd1'; 'imported'" 2>&1
        $LASTEXITCODE | Should -Not -Be 0
        "$out" | Should -Not -Match 'imported'
        "$out" | Should -Match 'libtorch_cpu\.so'
    }
}

Describe 'A failed native load at Import-Module' {
    It 'has the ErrorId NativeLibraryLoadFailed and the category NotInstalled' {
        $module = Join-Path $TestDrive 'nonatives-id/CondensaPS'
        New-Item -ItemType Directory $module -Force | Out-Null
        Get-ChildItem $Source | Where-Object Name -ne 'runtimes' | Copy-Item -Destination $module -Recurse
        $out = & $Pwsh -NoProfile -Command "try { Import-Module '$module/CondensaPS.psd1' -ErrorAction Stop; 'imported' } catch { `$_.FullyQualifiedErrorId; [string]`$_.CategoryInfo.Category }" 2>&1
        $out | Should -Contain 'NativeLibraryLoadFailed,Microsoft.PowerShell.Commands.ImportModuleCommand'
        $out | Should -Contain 'NotInstalled'
        $out | Should -Not -Contain 'imported'
    }
}

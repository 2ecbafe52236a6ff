# Pester 5: build.ps1 -Task Package makes a package that Publish-PSResource puts in a local file repository, that
# Install-PSResource installs and Import-Module imports in a fresh pwsh, that runs a real pipeline there, that stays
# under the PowerShell Gallery's 250 MB limit, and that ships exactly the natives the module loads.
# Run alone: .tools/pwsh/pwsh tests/Invoke-PesterSuites.ps1 tests/Package.Tests.ps1
BeforeAll {
    . "$PSScriptRoot/Pester.Helpers.ps1"
    $Pwsh = (Get-Command pwsh -CommandType Application | Select-Object -First 1).Source
    $Repository = Join-Path $TestDrive 'repository'
    # A fresh user: module installs and PSResourceGet's repository settings land under $TestDrive.
    $UserHome = Join-Path $TestDrive 'home'
    # .NET gives no LocalApplicationData for a folder that does not exist (PSResourceGet then writes its settings to
    # the current folder), so the folders exist first.
    $null = New-Item -ItemType Directory -Force (Join-Path $UserHome '.local/share'), (Join-Path $UserHome '.config')

    # Runs a script in a new pwsh process as that user; returns its output lines and exit code.
    function Invoke-FreshPwsh([string] $Script) {
        $file = Join-Path $TestDrive "script-$([guid]::NewGuid().ToString('N')).ps1"
        Set-Content -Path $file -Value $Script
        Push-Location $TestDrive
        $saved = $env:HOME, $env:XDG_DATA_HOME, $env:XDG_CONFIG_HOME, $env:PSModulePath
        try {
            $env:HOME = $UserHome; $env:XDG_DATA_HOME = Join-Path $UserHome '.local/share'; $env:XDG_CONFIG_HOME = Join-Path $UserHome '.config'
            $env:PSModulePath = $null
            $lines = & $Pwsh -NoProfile -NonInteractive -File $file 2>&1 | ForEach-Object { "$_" }
            [pscustomobject]@{ Output = $lines; ExitCode = $LASTEXITCODE; Text = $lines -join "`n" }
        }
        finally { Pop-Location; $env:HOME, $env:XDG_DATA_HOME, $env:XDG_CONFIG_HOME, $env:PSModulePath = $saved }
    }

    $build = & $Pwsh -NoProfile -NonInteractive -File (Join-Path $RepoRoot 'build.ps1') -Task Package -NoBuild -OutputPath $Repository 2>&1 | ForEach-Object { "$_" }
    $BuildExit = $LASTEXITCODE
    $BuildText = $build -join "`n"
    $Package = Get-ChildItem $Repository -Filter 'CondensaPS.*.nupkg' -ErrorAction SilentlyContinue | Select-Object -First 1
}

Describe 'build.ps1 -Task Package' {
    It 'publishes a package to a local repository and prints its size against the Gallery''s 250 MB limit' {
        $BuildExit | Should -Be 0 -Because $BuildText
        $Package | Should -Not -BeNullOrEmpty
        $Package.Length | Should -BeLessThan (250 * 1000 * 1000)
        $BuildText | Should -Match 'MB of the PowerShell Gallery''s 250 MB limit'
    }

    It 'leaves out what never loads: other systems'' runtimes, libtorch''s test and Python libraries, patched copies' {
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [System.IO.Compression.ZipFile]::OpenRead($Package.FullName)
        try { $entries = $zip.Entries.FullName } finally { $zip.Dispose() }
        $natives = $entries | Where-Object { $_ -like 'runtimes/*' } | Sort-Object
        $natives | Should -Not -BeNullOrEmpty
        $natives | ForEach-Object { $_ | Should -BeLike 'runtimes/linux-x64/native/*' }
        ($natives | Split-Path -Leaf) -replace '^libgomp-.*', 'libgomp' |
            Should -Be (@('libc10.so', 'libgomp', 'libLibTorchSharp.so', 'libSkiaSharp.so', 'libtorch.so', 'libtorch_cpu.so') | Sort-Object)
        $entries | Should -Contain 'CondensaPS.psd1'
        $entries | Should -Contain 'en-US/CondensaPS.dll-Help.xml'
    }

    It 'installs with Install-PSResource, imports in a fresh pwsh, prunes and runs a model, and loads every native it ships' {
        $install = Invoke-FreshPwsh @"
`$ErrorActionPreference = 'Stop'
Register-PSResourceRepository -Name CondensaPSTest -Uri '$Repository' -Trusted
Install-PSResource -Name CondensaPS -Repository CondensaPSTest -Scope CurrentUser -TrustRepository
(Get-InstalledPSResource -Name CondensaPS).InstalledLocation
"@
        $install.ExitCode | Should -Be 0 -Because $install.Text

        $run = Invoke-FreshPwsh @"
`$ErrorActionPreference = 'Stop'
Import-Module CondensaPS
. '$RepoRoot/tests/DatasetSources.Helpers.ps1'
`$module = (Get-Module CondensaPS).ModuleBase
`$model = New-Model lenet5 -Seed 1 | Invoke-Prune -Ratio 0.8
`$y = `$model.Forward([TorchSharp.torch]::ones([long[]](2, 1, 28, 28)))
`$images = Join-Path ([IO.Path]::GetTempPath()) ([guid]::NewGuid().ToString('N'))
foreach (`$class in 'a', 'b') { New-TestPng -Path "`$images/`$class/1.png" -Width 28 -Height 28 -Pixel { param(`$x, `$y) 7 } }
`$data = Import-Dataset `$images
Remove-Item -Recurse `$images
"module: `$module"
"sparsity: {0:N2}" -f `$model.Sparsity
"output: `$(`$y.shape -join 'x')"
"classes: `$(`$data.Classes)"
Get-Content /proc/`$PID/maps | ForEach-Object { (`$_ -split '\s+', 6)[5] } | Where-Object { `$_ -like "`$module*.so*" } |
    Sort-Object -Unique | ForEach-Object { "loaded: `$(Split-Path `$_ -Leaf)" }
"@
        $run.ExitCode | Should -Be 0 -Because $run.Text
        $run.Text | Should -Match "module: $([regex]::Escape((Join-Path $UserHome '.local/share/powershell/Modules/CondensaPS')))"
        $run.Text | Should -Match 'sparsity: 0\.[78]\d'
        $run.Text | Should -Match 'output: 2x10'
        $run.Text | Should -Match 'classes: 2'
        # The patched libLibTorchSharp copy (written where libstdc++ is older than it needs) stands for the original.
        $loaded = $run.Output | Where-Object { $_ -like 'loaded: *' } | ForEach-Object { $_.Substring(8) -replace '\.glibcxx-weak\..*', '.so' -replace '^libgomp-.*', 'libgomp' } | Sort-Object -Unique
        $loaded | Should -Be (@('libc10.so', 'libgomp', 'libLibTorchSharp.so', 'libSkiaSharp.so', 'libtorch.so', 'libtorch_cpu.so') | Sort-Object)
    }
}

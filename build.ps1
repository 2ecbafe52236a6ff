#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests and packages CondensaPS for pwsh users. Produces the same outputs as the dotnet commands.
.EXAMPLE
    ./build.ps1                 # Build: out/CondensaPS, an importable module
    ./build.ps1 -Task Test      # Build, then run the xUnit suites and the Pester suites (in pwsh 7.6.9 with Pester 5.9.1
                                #   from .tools/, which the build installs); fails if a test fails or is skipped
    ./build.ps1 -Task Package   # Build, then out/package/CondensaPS.<version>.nupkg for the PowerShell Gallery
                                #   (Publish-PSResource / Install-PSResource), without the natives that never load
    ./build.ps1 -TorchBackend cuda   # CUDA build (needs the TorchSharp-cuda-linux package in your NuGet feed)
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Package')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Debug',

    [ValidateSet('cpu', 'cuda')]
    [string] $TorchBackend = 'cpu',

    # Package: where the staged module folder (<OutputPath>/CondensaPS) and the .nupkg go.
    [string] $OutputPath = (Join-Path $PSScriptRoot 'out/package'),

    # Skips the build and uses out/CondensaPS as it is (the package test runs inside a test run).
    [switch] $NoBuild
)
$ErrorActionPreference = 'Stop'
$root = $PSScriptRoot
$solution = Join-Path $root 'CondensaPS.sln'
$moduleDir = Join-Path $root 'out' 'CondensaPS'

function Invoke-Dotnet {
    param([string[]] $Arguments)
    Write-Verbose "dotnet $($Arguments -join ' ')"
    & dotnet @Arguments
    if ($LASTEXITCODE -ne 0) { throw "dotnet $($Arguments[0]) failed with exit code $LASTEXITCODE" }
}

# The natives the module loads (src/CondensaPS.Engine/Native/NativeLibraryLoader.cs loads libtorch by absolute path;
# libgomp is libtorch_cpu's OpenMP; SkiaSharp decodes image folders). Everything else in the libtorch package never
# loads: its test and backend libraries, libtorch_python, libshm, libtorch_global_deps; nor do other operating
# systems' runtimes, nor the patched libLibTorchSharp copies that imports write beside the original.
# tests/Package.Tests.ps1 checks that an installed package loads each of these and nothing else.
$PackagedNatives = 'libc10.so', 'libtorch_cpu.so', 'libtorch.so', 'libLibTorchSharp.so', 'libgomp-*.so*', 'libSkiaSharp.so'
$GalleryLimitBytes = 250 * 1000 * 1000   # the PowerShell Gallery's 250 MB, read as decimal megabytes (the stricter reading)

function New-ModulePackage {
    if ($TorchBackend -ne 'cpu') { throw 'Package makes the CPU package: the CUDA natives are several GB, far over the PowerShell Gallery''s 250 MB limit.' }
    $stage = Join-Path $OutputPath 'CondensaPS'
    if (Test-Path $stage) { Remove-Item -Recurse -Force $stage }
    $null = New-Item -ItemType Directory -Force $stage
    Get-ChildItem $moduleDir | Where-Object Name -NE 'runtimes' | Copy-Item -Destination $stage -Recurse
    $nativeDir = Join-Path $moduleDir 'runtimes/linux-x64/native'
    $target = New-Item -ItemType Directory -Force (Join-Path $stage 'runtimes/linux-x64/native')
    foreach ($pattern in $PackagedNatives) {
        $files = @(Get-ChildItem $nativeDir -Filter $pattern -File | Where-Object Name -NotLike '*.glibcxx-weak.*')
        if ($files.Count -eq 0) { throw "The module build has no $pattern in $nativeDir." }
        $files | Copy-Item -Destination $target
    }
    Get-ChildItem $OutputPath -Filter 'CondensaPS.*.nupkg' | Remove-Item
    Publish-ToLocalRepository -Stage $stage -Repository $OutputPath
    $nupkg = Get-ChildItem $OutputPath -Filter 'CondensaPS.*.nupkg' | Select-Object -First 1
    if (-not $nupkg) { throw "Publish-PSResource wrote no package to $OutputPath." }
    $installed = (Get-ChildItem -Recurse -File $stage | Measure-Object Length -Sum).Sum
    $all = (Get-ChildItem -Recurse -File $moduleDir | Measure-Object Length -Sum).Sum
    Write-Host ('{0}: {1:N1} MB of the PowerShell Gallery''s 250 MB limit ({2:P0}); installs {3:N1} MB (the build''s module folder holds {4:N1} MB)' -f
        $nupkg.FullName, ($nupkg.Length / 1e6), ($nupkg.Length / $GalleryLimitBytes), ($installed / 1e6), ($all / 1e6))
    if ($nupkg.Length -gt $GalleryLimitBytes) { throw "The package is $([math]::Round($nupkg.Length / 1e6, 1)) MB, over the PowerShell Gallery's 250 MB limit." }
    $nupkg
}

# Publishes the staged module with Publish-PSResource to $Repository used as a local file repository, which leaves the
# .nupkg there. It runs in a child pwsh whose HOME is a scratch folder, so that the repository registration stays out
# of the user's own PSResourceGet settings.
function Publish-ToLocalRepository([string] $Stage, [string] $Repository) {
    $scratch = Join-Path ([IO.Path]::GetTempPath()) "condensaps-publish-$([guid]::NewGuid().ToString('N'))"
    $null = New-Item -ItemType Directory $scratch
    $script = Join-Path $scratch 'publish.ps1'
    Set-Content -Path $script -Value @'
param($Stage, $Repository)
$ErrorActionPreference = 'Stop'
Register-PSResourceRepository -Name CondensaPSLocal -Uri $Repository -Trusted
Publish-PSResource -Path $Stage -Repository CondensaPSLocal
'@
    $pwsh = if (Test-Path (Join-Path $PSHOME 'pwsh')) { Join-Path $PSHOME 'pwsh' } else { (Get-Command pwsh -CommandType Application -ErrorAction Stop)[0].Source }
    $saved = $env:HOME, $env:XDG_DATA_HOME, $env:XDG_CONFIG_HOME
    try {
        # .NET gives no LocalApplicationData for a folder that does not exist, and PSResourceGet then writes its
        # settings to the current folder: make the folders first.
        $env:HOME = $scratch; $env:XDG_DATA_HOME = Join-Path $scratch 'data'; $env:XDG_CONFIG_HOME = Join-Path $scratch 'config'
        $null = New-Item -ItemType Directory -Force $env:XDG_DATA_HOME, $env:XDG_CONFIG_HOME
        $repositoryPath = (Resolve-Path $Repository).Path
        Push-Location $scratch
        try { & $pwsh -NoProfile -NonInteractive -File $script -Stage $Stage -Repository $repositoryPath }
        finally { Pop-Location }
        if ($LASTEXITCODE -ne 0) { throw "Publish-PSResource to the local repository $Repository failed (exit code $LASTEXITCODE)." }
    }
    finally {
        $env:HOME, $env:XDG_DATA_HOME, $env:XDG_CONFIG_HOME = $saved
        Remove-Item -Recurse -Force $scratch
    }
}

if (-not $NoBuild) {
    Invoke-Dotnet @('build', $solution, '-c', $Configuration, "-p:TorchBackend=$TorchBackend")
    Write-Verbose "Module assembled in $moduleDir"
}

switch ($Task) {
    'Test' {
        # The build installed pwsh and Pester into .tools/; tests/CondensaPS.Pester.Tests runs the Pester suites there.
        $pester = Join-Path $root '.tools/Modules/Pester/5.9.1/Pester.psd1'
        if (-not (Test-Path $pester)) { throw "Pester 5.9.1 is missing from $(Split-Path $pester): the build of tests/CondensaPS.Pester.Tests installs it." }
        Invoke-Dotnet @('test', $solution, '-c', $Configuration, "-p:TorchBackend=$TorchBackend", '--no-build')
    }
    'Package' {
        New-ModulePackage
    }
}

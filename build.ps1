#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests and packages CondensaPS for pwsh users. Produces the same outputs as the dotnet commands.
.EXAMPLE
    ./build.ps1                 # Build: out/CondensaPS, an importable module
    ./build.ps1 -Task Test      # Build, then run the xUnit suites and the Pester suites (in pwsh 7.6.9 with Pester 5.9.1
                                #   from .tools/, which the build installs); fails if a test fails or is skipped
    ./build.ps1 -Task Package   # Build, then zip out/CondensaPS to out/CondensaPS-<version>.zip
    ./build.ps1 -TorchBackend cuda   # CUDA build (needs the TorchSharp-cuda-linux package in your NuGet feed)
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Package')]
    [string] $Task = 'Build',

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Debug',

    [ValidateSet('cpu', 'cuda')]
    [string] $TorchBackend = 'cpu'
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

Invoke-Dotnet @('build', $solution, '-c', $Configuration, "-p:TorchBackend=$TorchBackend")
Write-Verbose "Module assembled in $moduleDir"

switch ($Task) {
    'Test' {
        # The build installed pwsh and Pester into .tools/; tests/CondensaPS.Pester.Tests runs the Pester suites there.
        $pester = Join-Path $root '.tools/Modules/Pester/5.9.1/Pester.psd1'
        if (-not (Test-Path $pester)) { throw "Pester 5.9.1 is missing from $(Split-Path $pester): the build of tests/CondensaPS.Pester.Tests installs it." }
        Invoke-Dotnet @('test', $solution, '-c', $Configuration, "-p:TorchBackend=$TorchBackend", '--no-build')
    }
    'Package' {
        $manifest = Import-PowerShellDataFile (Join-Path $moduleDir 'CondensaPS.psd1')
        $zip = Join-Path $root 'out' "CondensaPS-$($manifest.ModuleVersion).zip"
        if (Test-Path $zip) { Remove-Item $zip }
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        [System.IO.Compression.ZipFile]::CreateFromDirectory($moduleDir, $zip, [System.IO.Compression.CompressionLevel]::Optimal, $true)
        Get-Item $zip
    }
}

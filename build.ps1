#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests and packages CondensaPS for pwsh users. Produces the same outputs as the dotnet commands.
.EXAMPLE
    ./build.ps1                 # Build: out/CondensaPS, an importable module
    ./build.ps1 -Task Test      # Build, then run the xUnit suite and (when Pester 5 is installed) the Pester suites
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
        Invoke-Dotnet @('test', $solution, '-c', $Configuration, "-p:TorchBackend=$TorchBackend", '--no-build')
        if (Get-Module -ListAvailable -Name Pester | Where-Object { $_.Version -ge [version]'5.0' }) {
            $result = Invoke-Pester -Path (Join-Path $root 'tests') -PassThru -Output Detailed
            if ($result.FailedCount -gt 0) { throw "$($result.FailedCount) Pester test(s) failed" }
        }
        else {
            Write-Warning 'Pester 5 is not installed; skipped the Pester suites (Install-Module Pester -MinimumVersion 5.0).'
        }
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

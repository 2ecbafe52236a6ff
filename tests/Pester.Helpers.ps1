# Shared by the Pester suites (tests/<Verb-Noun>.Tests.ps1): dot-source it in the file's BeforeAll,
#   BeforeAll { . "$PSScriptRoot/Pester.Helpers.ps1" }
# It imports the module the build assembled (dotnet build CondensaPS.sln writes out/CondensaPS) and defines the paths
# and helpers below. Files a test writes go under $TestDrive, which Pester removes after each Describe.

Import-Module "$PSScriptRoot/../out/CondensaPS/CondensaPS.psd1"
$RepoRoot = Split-Path $PSScriptRoot -Parent
$Fixtures = Join-Path $PSScriptRoot 'fixtures'
$Mnist = Join-Path $RepoRoot 'data/mnist'
$Strategies = Join-Path $RepoRoot 'examples/strategies'

# A file under tests/fixtures (see tests/fixtures/README.md for how each was made).
function Fixture([string] $Name) { Join-Path $Fixtures $Name }

# A new empty folder under $TestDrive.
function New-TestFolder {
    $dir = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
    $null = [System.IO.Directory]::CreateDirectory($dir)
    $dir
}

# The first error $Script reports, terminating or not; $null when there is none. The preference is set here because
# `& $Script -ErrorAction Stop` would not reach the cmdlets inside a script block that has no parameters.
function Get-ErrorRecord([scriptblock] $Script) {
    $ErrorActionPreference = 'Stop'
    try { $null = & $Script } catch { return $_ }
}

# Largest absolute difference between a model's output and PyTorch's on a fixture's fixed input
# (tests/fixtures/<IoName>.io.safetensors holds the input and PyTorch's output).
function Get-MaxDiff($Model, [string] $IoName) {
    $t = [CondensaPS.Engine.Formats.SafeTensorsFile]::Read((Fixture "$IoName.io.safetensors"))
    $y = $Model.Forward($t['input'])
    [double](($y - $t['output']).abs().max().item[float]())
}

# Whether two tensors are equal element by element.
function Test-TensorEqual($A, $B) { [TorchSharp.TensorExtensionMethods]::ToBoolean($A.eq($B).all()) }

# Debian's PyTorch (/usr/bin/python3 with torch), which the interop tests need; CI installs python3-torch.
function Assert-PyTorch {
    if (Test-Path /usr/bin/python3) { & /usr/bin/python3 -c 'import torch' 2>$null }
    if (-not (Test-Path /usr/bin/python3) -or $LASTEXITCODE -ne 0) { throw 'This test needs /usr/bin/python3 with torch: apt-get install python3-torch python3-torchvision (CI installs them).' }
}

#Requires -Version 7.4
<#
.SYNOPSIS
    Runs the Pester suites (tests/*.Tests.ps1) in this pwsh with the Pester 5.9.1 that the build lays out in .tools/.
.DESCRIPTION
    `dotnet build CondensaPS.sln` (or `dotnet test`) installs pwsh 7.6.9 in .tools/pwsh and Pester 5.9.1 in
    .tools/Modules once; the test project tests/CondensaPS.Pester.Tests runs every suite through this script and reports
    each Pester test as its own result. A developer runs one file, or some tests of it, the same way:

        .tools/pwsh/pwsh tests/Invoke-PesterSuites.ps1 tests/Import-Model.Tests.ps1
        .tools/pwsh/pwsh tests/Invoke-PesterSuites.ps1 tests/Import-Model.Tests.ps1 -FullName '*round-trips*'

    With -ResultPath the script writes one JSON record per test (its id, result and error) for the test project, and
    -Discover lists the tests without running them. Results also go to TestResults/Pester/<file>.xml (JUnit).
#>
[CmdletBinding()]
param(
    # Suites to run: files or folders (default: every tests/*.Tests.ps1).
    [Parameter(Position = 0)]
    [string[]] $Path = @($PSScriptRoot),

    # Runs only the tests whose full name (Describe > Context > It, expanded) matches one of these wildcards.
    [string[]] $FullName,

    # Lists the tests (with -ResultPath) without running them.
    [switch] $Discover,

    # Writes the tests and their results as JSON to this file.
    [string] $ResultPath
)
# No $ErrorActionPreference here: the suites run under PowerShell's defaults, as a user's script does.
$repo = Split-Path $PSScriptRoot -Parent
$pester = Join-Path $repo '.tools/Modules/Pester/5.9.1/Pester.psd1'
if (-not (Test-Path $pester)) {
    throw "Pester 5.9.1 is not in $(Split-Path $pester); 'dotnet build CondensaPS.sln' installs it there (with pwsh 7.6.9 in .tools/pwsh)."
}
Import-Module $pester -Force -ErrorAction Stop
# Suites that start a child pwsh get this one.
$pwshDir = Join-Path $repo '.tools/pwsh'
if (Test-Path $pwshDir) { $env:PATH = $pwshDir + [IO.Path]::PathSeparator + $env:PATH }
$PSStyle.OutputRendering = 'PlainText'

# The id of a test: file, then each block's and the test's name with <Key> replaced by its data, as Pester shows them
# once run (Pester expands names only when it runs a test, so discovery and run compute them here alike).
function Expand-Name([string] $Template, $Data) {
    if ($null -eq $Data) { return $Template }
    [regex]::Replace($Template, '<([^<>]+)>', {
            param($m)
            $key = $m.Groups[1].Value
            $value = if ($key -eq '_') { $Data }
            elseif ($Data -is [System.Collections.IDictionary] -and $Data.Contains($key)) { $Data[$key] }
            else { return $m.Value }
            if ($null -eq $value) { '$null' } else { ($value | ForEach-Object { "$_" }) -join ', ' }
        })
}

function Get-TestId($Test) {
    $names = [System.Collections.Generic.List[string]]::new()
    $names.Add((Expand-Name $Test.Name $Test.Data))
    for ($b = $Test.Block; $null -ne $b -and -not $b.IsRoot; $b = $b.Parent) { $names.Insert(0, (Expand-Name $b.Name $b.Data)) }
    (Split-Path $Test.Block.BlockContainer.Item -Leaf) + ': ' + ($names -join ' > ')
}

function Get-ErrorText($Records) {
    @(foreach ($e in @($Records)) {
            $message = if ($e.PSObject.Properties['DisplayErrorMessage'] -and $e.DisplayErrorMessage) { $e.DisplayErrorMessage } else { "$e" }
            $stack = if ($e.PSObject.Properties['DisplayStackTrace'] -and $e.DisplayStackTrace) { $e.DisplayStackTrace } else { $e.ScriptStackTrace }
            "$message`n$stack".Trim()
        }) -join "`n"
}

# Why a test is skipped, as its file says at discovery: It '...' -Skip:$cond -ForEach @(@{ SkipReason = '...' }).
# Only such a test may be skipped (a Slurm test on a box without a cluster); any other skip fails the run.
function Get-SkipReason($Test) {
    if ($Test.Skip -and $Test.Data -is [System.Collections.IDictionary] -and $Test.Data['SkipReason']) { "$($Test.Data['SkipReason'])" }
}

$files = @(foreach ($p in $Path) {
        if (Test-Path $p -PathType Container) { Get-ChildItem $p -Filter '*.Tests.ps1' | Sort-Object Name | ForEach-Object FullName }
        else { (Resolve-Path $p).Path }
    })

$config = New-PesterConfiguration
$config.Run.Path = $files
$config.Run.PassThru = $true
$config.Run.SkipRun = [bool] $Discover
$config.Output.Verbosity = if ($Discover) { 'None' } else { 'Detailed' }
$config.Output.RenderMode = 'Plaintext'
$config.Output.StackTraceVerbosity = 'Filtered'
if ($FullName) { $config.Filter.FullName = $FullName }
if (-not $Discover) {
    $resultDir = Join-Path $repo 'TestResults/Pester'
    $null = New-Item -ItemType Directory -Force $resultDir
    $config.TestResult.Enabled = $true
    $config.TestResult.OutputFormat = 'JUnitXml'
    $name = if ($files.Count -eq 1) { (Split-Path $files[0] -Leaf) -replace '\.Tests\.ps1$', '' } else { 'pester' }
    $config.TestResult.OutputPath = Join-Path $resultDir "$name.xml"
}
$run = Invoke-Pester -Configuration $config

if ($ResultPath) {
    $seen = @{}
    $tests = foreach ($t in $run.Tests) {
        if (-not $Discover -and $t.Result -eq 'NotRun' -and $FullName) { continue }   # filtered out
        $id = Get-TestId $t
        $n = ++$seen[$id]
        if ($n -gt 1) { $id += " (#$n)" }
        [ordered]@{
            Id       = $id
            File     = Split-Path $t.Block.BlockContainer.Item -Leaf
            Line     = $t.StartLine
            Name     = $t.ExpandedPath
            Filter   = ($t.Path | ForEach-Object { [WildcardPattern]::Escape($_) }) -join '.'
            Result   = "$($t.Result)"
            Seconds  = [math]::Round($t.Duration.TotalSeconds, 3)
            Error    = Get-ErrorText $t.ErrorRecord
            SkipReason = Get-SkipReason $t
        }
    }
    # A file that fails before or around its tests (parse error, failing BeforeAll/AfterAll) says so here.
    $containers = foreach ($c in $run.Containers) {
        [ordered]@{
            File   = Split-Path $c.Item -Leaf
            Result = "$($c.Result)"
            Error  = Get-ErrorText (@($c.ErrorRecord) + @($c.Blocks | Where-Object { $_.ErrorRecord } | ForEach-Object ErrorRecord))
        }
    }
    [ordered]@{ Tests = @($tests); Containers = @($containers) } | ConvertTo-Json -Depth 5 | Set-Content -Path $ResultPath -Encoding utf8
}
$skippedForAReason = @($run.Tests | Where-Object { $_.Result -eq 'Skipped' -and (Get-SkipReason $_) })
foreach ($t in $skippedForAReason) { Write-Host "Skipped: $($t.ExpandedPath): $(Get-SkipReason $t)" }
$skippedCount = $run.SkippedCount - $skippedForAReason.Count
if (-not $Discover -and ($run.FailedCount -gt 0 -or $skippedCount -gt 0 -or $run.FailedContainersCount -gt 0 -or $run.FailedBlocksCount -gt 0)) {
    Write-Host "Pester: $($run.FailedCount) failed, $skippedCount skipped without a reason (see Get-SkipReason), $($run.FailedBlocksCount) failed blocks, $($run.FailedContainersCount) failed files"
    exit 1
}

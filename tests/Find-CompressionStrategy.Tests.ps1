# Pester 5 suite for Find-CompressionStrategy (the xUnit module twins: tests/CondensaPS.Module.Tests/FindCompressionStrategyTests.cs
# and SearchRecoveryTests.cs). Run alone: .tools/pwsh/pwsh tests/Invoke-PesterSuites.ps1 tests/Find-CompressionStrategy.Tests.ps1
BeforeDiscovery {
    # The Slurm test needs a cluster that answers sinfo. CI starts a one-node one (.ci/run) and sets
    # CONDENSAPS_REQUIRE_SLURM=1, so there the test always runs and fails when no cluster answers. Elsewhere, without a
    # cluster, it is skipped, and says why (the runner lets a test be skipped only with a reason given here).
    $slurmAnswers = $false
    if (Get-Command sinfo -CommandType Application -ErrorAction Ignore) {
        $partitions = & sinfo -h -o '%P' 2>$null
        $slurmAnswers = $LASTEXITCODE -eq 0 -and "$partitions".Trim().Length -gt 0
    }
    $slurmSkip = if (-not $slurmAnswers -and $env:CONDENSAPS_REQUIRE_SLURM -ne '1') {
        'needs a reachable Slurm cluster (sudo bash .ci/slurm-up.sh starts one on loopback; CI does and sets CONDENSAPS_REQUIRE_SLURM=1)'
    }
}

BeforeAll {
    . "$PSScriptRoot/Pester.Helpers.ps1"
    $strategy = Join-Path $Strategies 'search-lenet5-label-preserving.yaml'
    $val = Import-Dataset (Join-Path $Mnist 'val-images-idx3-ubyte.gz') -First 100

    # A prune-and-retrain strategy whose trials take a few seconds each, long enough to kill a search or worker mid-way.
    function New-RecoveryStrategy {
        $file = Join-Path (New-TestFolder) 'prune-retrain.yaml'
        Set-Content -LiteralPath $file -Value "version: 1`nname: prune-retrain`nparameters:`n  ratio: 0.5`nsteps:`n  - prune: { ratio: `"`${ratio}`", scope: global }`n  - retrain: { loss: label-preserving, epochs: 1, learning-rate: 0.01, seed: 3 }"
        $file
    }

    # A script that runs the search of the recovery tests: two trials (the range's top, then its bottom: a bound no
    # trial meets makes the search try both), one worker with one thread, one trial at a time. A child pwsh (started
    # with CONDENSAPS_THREADS=1) and the test session run it alike.
    function New-RecoverySearchScript([string] $Strategy) {
        $file = Join-Path (New-TestFolder) 'search.ps1'
        Set-Content -LiteralPath $file -Value @"
param([string] `$Out, [switch] `$Resume)
Import-Module '$RepoRoot/out/CondensaPS/CondensaPS.psd1'
`$train = Import-Dataset '$Mnist/train-images-idx3-ubyte.gz' -First 1000
`$val = Import-Dataset '$Mnist/val-images-idx3-ubyte.gz' -First 100
New-Model lenet5 -Seed 1 | Find-CompressionStrategy -Path '$Strategy' -Data `$train -ValidationData `$val -Range @{ ratio = 0.5, 0.98, 0.02 } -MaxAccuracyDrop -50 -MaxTrials 2 -ThrottleLimit 1 -WorkerThreadCount 1 -OutputPath `$Out -Resume:`$Resume
"@
        $file
    }

    # Starts a script in a child pwsh, the same as this one, with one thread, its output and errors going to
    # <script>.log. The process started is the pwsh that runs the script (the shell execs it): where pwsh runs as
    # `dotnet pwsh.dll` (the dotnet tool in .tools/pwsh, whose pwsh launcher would be a parent of the real one), it is
    # started that way, so that killing it kills the search.
    function Start-ChildPwsh([string] $Script, [string[]] $Arguments) {
        $host_ = [Environment]::ProcessPath
        $pwsh = if ([IO.Path]::GetFileNameWithoutExtension($host_) -eq 'dotnet') { @($host_, (Join-Path $PSHOME 'pwsh.dll')) } else { @($host_) }
        $start = [Diagnostics.ProcessStartInfo]::new('/bin/sh')
        foreach ($a in @('-c', 'exec "$0" "$@" >"$LOG" 2>&1') + $pwsh + @('-NoProfile', '-NonInteractive', '-File', $Script) + $Arguments) { $start.ArgumentList.Add($a) }
        $start.Environment['LOG'] = "$Script.log"
        $start.Environment['CONDENSAPS_THREADS'] = '1'
        [Diagnostics.Process]::Start($start)
    }

    # Ids of the processes working in $Folder (a search's workers work in their trial's folder).
    function Get-ProcessIdIn([string] $Folder) {
        foreach ($proc in Get-ChildItem /proc -Directory -ErrorAction Ignore | Where-Object Name -Match '^\d+$') {
            try { $cwd = [IO.Directory]::ResolveLinkTarget("$($proc.FullName)/cwd", $false).FullName } catch { continue }
            if ($cwd -and $cwd.StartsWith($Folder, [StringComparison]::Ordinal)) { [int] $proc.Name }
        }
    }

    # Polls $Condition every 200 ms; throws after $Seconds, naming what it waited for.
    function Wait-Until([scriptblock] $Condition, [int] $Seconds, [string] $What) {
        $watch = [Diagnostics.Stopwatch]::StartNew()
        while (-not (& $Condition)) {
            if ($watch.Elapsed.TotalSeconds -gt $Seconds) { throw "waited $Seconds s for $What" }
            Start-Sleep -Milliseconds 200
        }
    }

    # The journal's complete lines: the search's own line, then one per finished trial.
    function Get-JournalLine([string] $Path) {
        if (Test-Path -LiteralPath $Path) { @(Get-Content -LiteralPath $Path | Where-Object { $_.EndsWith('}') }) } else { @() }
    }
}

Describe 'Find-CompressionStrategy' {
    It 'refuses a range outside 0..1 before any trial' {
        $out = Join-Path (New-TestFolder) 's'
        $e = Get-ErrorRecord { New-Model lenet5 -Seed 1 | Find-CompressionStrategy -Path $strategy -ValidationData $val -Range @{ ratio = 0.5, 1.5 } -OutputPath $out }
        $e.FullyQualifiedErrorId | Should -BeLike 'SearchRangeOutsideUnit,*'
        $e.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $out | Should -Not -Exist
    }

    It 'refuses a minimum above the maximum' {
        $e = Get-ErrorRecord { New-Model lenet5 -Seed 1 | Find-CompressionStrategy -Path $strategy -ValidationData $val -Range @{ ratio = 0.9, 0.6 } -OutputPath (Join-Path (New-TestFolder) 's') }
        $e.FullyQualifiedErrorId | Should -BeLike 'SearchRangeReversed,*'
    }

    It 'refuses an unknown objective in the parameter binder' {
        $e = Get-ErrorRecord { New-Model lenet5 -Seed 1 | Find-CompressionStrategy -Path $strategy -ValidationData $val -Objective Flops }
        $e.FullyQualifiedErrorId | Should -BeLike 'CannotConvertArgumentNoMessage,*'
    }

    It 'says that no Slurm is reachable before anything is submitted' {
        $out = Join-Path (New-TestFolder) 'slurm'
        $env:CONDENSAPS_SLURM_BIN = New-TestFolder
        try {
            $e = Get-ErrorRecord { New-Model lenet5 -Seed 1 | Find-CompressionStrategy -Path $strategy -ValidationData $val -Executor Slurm -OutputPath $out }
        }
        finally { $env:CONDENSAPS_SLURM_BIN = $null }
        $e.FullyQualifiedErrorId | Should -BeLike 'SlurmUnavailable,*'
        $e.Exception.Message | Should -BeLike '*Nothing was submitted*'
        $out | Should -Not -Exist
    }

    It 'names the file, line and column of a bad search: section' {
        $file = Join-Path (New-TestFolder) 'bad-search.yaml'
        Set-Content -LiteralPath $file -Value "version: 1`nname: s`nparameters:`n  ratio: 0.5`nsearch:`n  parameters:`n    ratio: { min: 0.5, max: 0.9 }`n  constraints: { accuracy-drop: 1 }`n  objective: flops`nsteps:`n  - prune: { ratio: `"`${ratio}`" }"
        $e = Get-ErrorRecord { New-Model lenet5 -Seed 1 | Find-CompressionStrategy -Path $file -ValidationData $val }
        $e.FullyQualifiedErrorId | Should -BeLike 'StrategyInvalidSearch,*'
        $e.CategoryInfo.Category | Should -Be 'InvalidData'
        $e.Exception.Message | Should -BeLike "$($file):9:14: unknown objective 'flops'*"
    }

    It 'returns a result that says so, with the closest trial, when no trial meets the constraint' {
        $file = Join-Path (New-TestFolder) 'prune.yaml'
        Set-Content -LiteralPath $file -Value "version: 1`nname: prune-only`nparameters:`n  ratio: 0.5`nsteps:`n  - prune: { ratio: `"`${ratio}`", scope: global }"
        $out = @(New-Model lenet5 -Seed 1 | Find-CompressionStrategy -Path $file -ValidationData $val -Range @{ ratio = 0.9, 0.99, 0.01 } -MaxAccuracyDrop -50 -MaxTrials 1 -OutputPath (Join-Path (New-TestFolder) 's') -WarningVariable warned -WarningAction SilentlyContinue)
        $result = $out[-1]
        $result.GetType().Name | Should -Be 'SearchResult'
        $result.Feasible | Should -BeFalse
        $result.Message | Should -BeLike 'No trial met accuracy-drop <= -50*closest was trial 1*'
        $result.BestTrial.Number | Should -Be 1
        $result.BestModel | Should -BeNullOrEmpty
        $result.BestStrategyPath | Should -BeNullOrEmpty
        "$warned" | Should -BeLike 'No trial met*'
    }

    It 'records a trial that throws with its error and goes on with the search' {
        $file = Join-Path (New-TestFolder) 'throws.yaml'
        Set-Content -LiteralPath $file -Value "version: 1`nname: throws`nparameters:`n  ratio: 0.5`nsteps:`n  - prune: { ratio: `"`${ratio}`", include: [no-such-layer.*] }"
        $out = @(New-Model lenet5 -Seed 1 | Find-CompressionStrategy -Path $file -ValidationData $val -Range @{ ratio = 0.5, 0.9 } -MaxMismatchRate 0.5 -MaxTrials 2 -ThrottleLimit 2 -OutputPath (Join-Path (New-TestFolder) 's') -WarningAction SilentlyContinue)
        $trials = @($out | Where-Object { $_.GetType().Name -eq 'SearchTrial' })
        $trials.Count | Should -Be 2
        foreach ($t in $trials) {
            "$($t.Status)" | Should -Be 'Failed'
            $t.ErrorId | Should -Be 'NothingToPrune'
            $t.Error | Should -Not -BeNullOrEmpty
        }
        $out[-1].Feasible | Should -BeFalse
        $out[-1].Message | Should -BeLike 'No trial produced figures*'
    }

    It 'resumes a search from its journal without running its finished trials again' {
        $file = Join-Path (New-TestFolder) 'prune.yaml'
        Set-Content -LiteralPath $file -Value "version: 1`nname: prune-only`nparameters:`n  ratio: 0.5`nsteps:`n  - prune: { ratio: `"`${ratio}`", scope: global }"
        $model = New-Model lenet5 -Seed 1
        $folder = Join-Path (New-TestFolder) 's'
        # A bound no trial meets keeps the level-set stage going, so the resumed search always has a trial to run.
        $search = @{ Path = $file; Model = $model; ValidationData = $val; Range = @{ ratio = 0.5, 0.99, 0.01 }; MaxAccuracyDrop = -50; OutputPath = $folder; WarningAction = 'SilentlyContinue' }
        $first = @(Find-CompressionStrategy @search -MaxTrials 1)[-1]
        $first.TrialsRun | Should -Be 1
        $journal = Get-Content -LiteralPath $first.JournalPath
        $journal.Count | Should -Be 2
        (Get-ErrorRecord { Find-CompressionStrategy @search -MaxTrials 2 }).FullyQualifiedErrorId | Should -BeLike 'SearchExists,*'
        $resumed = @(Find-CompressionStrategy @search -MaxTrials 2 -Resume)
        $result = $resumed[-1]
        $result.TrialsResumed | Should -Be 1
        $result.TrialsRun | Should -Be 1
        $result.Trials.Count | Should -Be 2
        $resumed[0].Number | Should -Be 1   # the journaled trial streams again, read back rather than rerun
        ((Get-Content -LiteralPath $result.JournalPath | Select-Object -First 2) -join "`n") | Should -Be ($journal -join "`n")
    }

    It 'writes nothing with -WhatIf' {
        $out = Join-Path (New-TestFolder) 'w'
        New-Model lenet5 -Seed 1 | Find-CompressionStrategy -Path $strategy -ValidationData $val -OutputPath $out -WhatIf | Should -BeNullOrEmpty
        $out | Should -Not -Exist
    }

    It 'streams trials, then a result whose strategy replays to its best model' {
        $train = Import-Dataset (Join-Path $Mnist 'train-images-idx3-ubyte.gz') -First 1000
        $reference = New-Model lenet5 -Seed 3 | Start-LabelPreservingRetrain -Data $train -Loss CrossEntropy -Epochs 3 -LearningRate 0.05 -Seed 3
        # Workers with this session's thread count, so that the replay here repeats the trial's arithmetic.
        $threads = (Get-CondensaConfiguration).ThreadCount
        $out = @(Find-CompressionStrategy -Path $strategy -Model $reference -Data $train -ValidationData $val -MaxAccuracyDrop 30 -MaxTrials 2 -WorkerThreadCount $threads -OutputPath (Join-Path (New-TestFolder) 's'))
        $out.Count | Should -Be 3
        $out[0].GetType().Name | Should -Be 'SearchTrial'
        $result = $out[-1]
        $result.GetType().Name | Should -Be 'SearchResult'
        $result.Feasible | Should -BeTrue
        $result.TrialsRun | Should -Be 2
        $result.ChartPaths | ForEach-Object { $_ | Should -Exist }
        $svg = Get-Content -Raw -LiteralPath ($result.ChartPaths | Where-Object { $_ -like '*.svg' })
        foreach ($legend in 'GP mean', 'GP 95% band', 'bound 30', 'estimated boundary') { $svg | Should -BeLike "*$legend*" }
        $replayed = Invoke-CompressionStrategy -Path $result.BestStrategyPath -Model $reference -Data $train -ValidationData $val
        [CondensaPS.Engine.Models.ModelComparison]::Identical($replayed, $result.BestModel) | Should -BeTrue
    }

    Context 'when a search or its worker is killed' {
        It 'resumes a search killed with kill -9 without rerunning its finished trials' {
            $script = New-RecoverySearchScript (New-RecoveryStrategy)
            $folder = Join-Path (New-TestFolder) 's'
            $journal = Join-Path $folder 'trials.jsonl'
            $search = Start-ChildPwsh $script '-Out', $folder
            try {
                Wait-Until { (Get-JournalLine $journal).Count -ge 2 -or $search.HasExited } -Seconds 300 -What 'the first journaled trial'
                $search.HasExited | Should -BeFalse -Because "the search must still run when it is killed; it said: $(Get-Content -Raw "$script.log")"
                & /bin/kill -9 $search.Id
                $search.WaitForExit()
            }
            finally { if (-not $search.HasExited) { Stop-Process -Id $search.Id -Force } }
            $search.ExitCode | Should -Be 137   # 128 + SIGKILL
            @(Get-Process | Where-Object { $_.CommandLine -like "*$script*" }) | Should -BeNullOrEmpty -Because 'the search itself must be dead, not only a launcher'
            # Its worker notices that the search is gone and stops, so nothing runs on behind it.
            Wait-Until { @(Get-ProcessIdIn (Join-Path $folder 'trials')).Count -eq 0 } -Seconds 30 -What 'the orphaned worker to stop'
            $before = Get-JournalLine $journal
            $finished = $before.Count - 1
            # Killed once the first trial's line is there, while the second one runs (a busy machine may let it finish too).
            $finished | Should -BeIn 1, 2
            $stamps = @{}
            foreach ($n in 1..$finished) { $stamps[$n] = (Get-Item (Join-Path $folder "trials/$($n.ToString('0000'))/result.json")).LastWriteTimeUtc }

            $out = @(& $script -Out $folder -Resume 3>$null)
            $result = $out[-1]
            $result.GetType().Name | Should -Be 'SearchResult'
            $result.TrialsResumed | Should -Be $finished
            $result.TrialsRun | Should -Be (2 - $finished)
            $result.Trials.Count | Should -Be 2
            $result.Trials | ForEach-Object { "$($_.Status)" | Should -Be 'Succeeded' }
            # The journal keeps the finished trials' lines as they were and gains one line per trial run now; their
            # result files were not written again. An interrupted trial ran once more under a new number.
            $after = Get-JournalLine $journal
            ($after | Select-Object -First $before.Count) -join "`n" | Should -Be ($before -join "`n")
            $after.Count | Should -Be 3
            foreach ($n in $stamps.Keys) { (Get-Item (Join-Path $folder "trials/$($n.ToString('0000'))/result.json")).LastWriteTimeUtc | Should -Be $stamps[$n] }
            $numbers = @($after | Select-Object -Skip 1 | ForEach-Object { ($_ | ConvertFrom-Json).number })
            @($numbers | Select-Object -Unique).Count | Should -Be $numbers.Count
        }

        It 'reports a worker killed with kill -9 and runs its trial once more' {
            $script = New-RecoverySearchScript (New-RecoveryStrategy)
            $folder = Join-Path (New-TestFolder) 's'
            # The search runs here; a thread job finds the first trial's worker and kills it.
            $killer = Start-ThreadJob -ArgumentList (Join-Path $folder 'trials/0001'), ${function:Get-ProcessIdIn}.ToString() -ScriptBlock {
                param($TrialFolder, $FindText)
                $find = [scriptblock]::Create($FindText)
                $watch = [Diagnostics.Stopwatch]::StartNew()
                while ($watch.Elapsed.TotalSeconds -lt 300) {
                    $worker = @(& $find $TrialFolder)
                    if ($worker.Count -gt 0) { & /bin/kill -9 $worker[0]; return $worker[0] }
                    Start-Sleep -Milliseconds 200
                }
            }
            try { $all = @(& $script -Out $folder 3>&1) }
            finally { $killed = $killer | Wait-Job -Timeout 30 | Receive-Job; $killer | Remove-Job -Force }
            $warned = @($all | Where-Object { $_ -is [System.Management.Automation.WarningRecord] })
            $out = @($all | Where-Object { $_ -isnot [System.Management.Automation.WarningRecord] })
            $killed | Should -Not -BeNullOrEmpty -Because 'the first trial must have had a worker to kill'
            $died = @($warned | Where-Object { "$_" -like 'Trial 1 *its worker died*' })
            $died.Count | Should -Be 1
            "$($died[0])" | Should -BeLike '*killed by signal 9*running it once more*'
            $result = $out[-1]
            $result.Trials.Count | Should -Be 2
            $result.Trials[0].Number | Should -Be 1
            $result.Trials[0].Attempts | Should -Be 2
            $result.Trials | ForEach-Object { "$($_.Status)" | Should -Be 'Succeeded' }
            $result.Trials | Select-Object -Skip 1 | ForEach-Object { $_.Attempts | Should -Be 1 }
        }
    }

    Context 'on Slurm' {
        It 'runs a small search through Slurm job arrays' -Skip:([bool] $slurmSkip) -ForEach @(@{ SkipReason = $slurmSkip }) {
            $train = Import-Dataset (Join-Path $Mnist 'train-images-idx3-ubyte.gz') -First 300
            $folder = Join-Path (New-TestFolder) 's'
            $out = @(New-Model lenet5 -Seed 1 | Find-CompressionStrategy -Path (New-RecoveryStrategy) -Data $train -ValidationData $val -Range @{ ratio = 0.5, 0.98, 0.02 } -MaxAccuracyDrop -50 -MaxTrials 2 -ThrottleLimit 2 -WorkerThreadCount 1 -Executor Slurm -Partition debug -TimeLimit '00:10:00' -OutputPath $folder -WarningAction SilentlyContinue -ErrorAction Stop)
            $result = $out[-1]
            $result.Executor | Should -BeLike 'slurm partition debug*'
            $result.Trials.Count | Should -Be 2
            foreach ($t in $result.Trials) {
                "$($t.Status)" | Should -Be 'Succeeded'
                $t.Worker | Should -BeLike 'slurm *'
            }
            # Trials go to Slurm in batches, each one sbatch --array job: the first holds both trials, run two at a time.
            $batches = @(Get-ChildItem (Join-Path $folder 'slurm') -Filter 'batch-*.sh' | Sort-Object Name)
            $batches.Count | Should -BeGreaterOrEqual 1
            Get-Content -Raw $batches[0].FullName | Should -BeLike '*#SBATCH --array=0-1%2*'
        }
    }
}

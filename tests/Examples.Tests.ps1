# Pester 5: the scripts under examples/ run as a user runs them, in pwsh (the xUnit module tests run them in the
# `condensa` host). Run alone: .tools/pwsh/pwsh tests/Invoke-PesterSuites.ps1 tests/Examples.Tests.ps1
BeforeAll {
    . "$PSScriptRoot/Pester.Helpers.ps1"
}

Describe 'Examples' {
    It 'runs the quickstart: reference, pruning, label-preserving recovery, mismatches, float16 export' {
        $folder = New-TestFolder
        $r = & (Join-Path $RepoRoot 'examples/quickstart.ps1') -OutputFolder $folder -PassThru 6>$null
        $r.Rows[2].Report.Mismatches | Should -BeLessThan $r.Rows[1].Report.Mismatches
        $r.Final.DType | Should -Be 'float16'
        $r.SafeTensors.BytesByType.Keys | Should -Contain 'float16'
        $r.TorchScript.Format | Should -Be 'TorchScript'
        Test-Path (Join-Path $folder 'quickstart-lenet5.safetensors'), (Join-Path $folder 'quickstart-lenet5.pt') | Should -Be @($true, $true)
    }

    It 'runs the compact-footprint example' {
        { & (Join-Path $RepoRoot 'examples/compact-footprint.ps1') -OutputFolder (New-TestFolder) 6>$null } | Should -Not -Throw
    }

    It 'runs the prune-and-quantize example' {
        & (Join-Path $RepoRoot 'examples/prune-and-quantize.ps1') (New-TestFolder) 6>&1 | Out-String | Should -BeLike '*same non-zeros in every layer*'
    }

    It 'runs the MNIST demo quick and prints the table' {
        $r = & (Join-Path $RepoRoot 'examples/mnist-label-preserving.ps1') -Quick -PassThru 6>$null
        $r.Seeds | Should -Be 1
        $r.Summary.Method | Should -Be @('cross-entropy', 'distillation', 'focal distillation', 'label-preserving')
        $r.Rows | ForEach-Object { $_.NegativeFlips | Should -BeLessOrEqual $_.Mismatches }
    }

    It 'runs the search example quick' {
        $r = & (Join-Path $RepoRoot 'examples/search-ratio.ps1') -Quick -OutputPath (Join-Path (New-TestFolder) 's') 6>$null
        $r.GetType().Name | Should -Be 'SearchResult'
        $r.Trials.Count | Should -BeIn 1, 2, 3
        $r.ChartPaths | ForEach-Object { $_ | Should -Exist }
    }

    It 'runs the long-tail report quick: memorisation, then flips by memorisation and influence, default against long-tail weighting' {
        $run = Join-Path (New-TestFolder) 'mem'
        $r = & (Join-Path $RepoRoot 'examples/long-tail.ps1') -Quick -CompareLongTail -OutputPath $run -PassThru 6>$null
        $r.Memorization.ModelsUsed | Should -Be 4
        Join-Path $run 'memorization.json' | Should -Exist
        $r.Rows.Recipe | Should -Be @('default', 'long-tail w=2')
        foreach ($row in $r.Rows) {
            $row.TrainReport.ByScore.Score | Should -Be 'memorization'
            $row.TestReport.ByScore.Score | Should -Be 'influence'
            # Flips of unscored samples (NaN: seen by every subset model) are in the totals but in no bucket.
            $row.TrainFlips | Should -BeGreaterOrEqual $row.Train.Flips
            $row.TestFlips | Should -BeGreaterOrEqual $row.Test.Flips
            @($row.TrainReport.ByScore.Buckets).Count | Should -BeIn @(1, 2, 3, 4, 5)
        }
        # A second call reuses the run: no subset model trains again.
        $again = & (Join-Path $RepoRoot 'examples/long-tail.ps1') -Quick -OutputPath $run -PassThru 6>$null
        $again.Memorization.ModelsResumed | Should -Be 4
        $again.Memorization.ModelsRun | Should -Be 0
    }
}

# Pester 5: the scripts under examples/ run as a user runs them, in pwsh (the xUnit module tests run them in the
# `condensa` host). Run alone: .tools/pwsh/pwsh tests/Invoke-PesterSuites.ps1 tests/Examples.Tests.ps1
BeforeAll {
    . "$PSScriptRoot/Pester.Helpers.ps1"
}

Describe 'Examples' {
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
}

# Pester 5 suite for the compact format, Export-Model -Report and Measure-Model (the xUnit twin is
# tests/CondensaPS.Module.Tests/CompactModuleTests.cs).
BeforeAll {
    Import-Module "$PSScriptRoot/../out/CondensaPS/CondensaPS.psd1"
    $fixture = Join-Path $PSScriptRoot 'fixtures/compact/tiny_convnet.pt'
}

Describe 'Export-Model -Format Compact' {
    BeforeEach {
        $dir = Join-Path ([System.IO.Path]::GetTempPath()) ([guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $dir | Out-Null
    }

    It 'writes a report and reads back to the same outputs' {
        $m = New-Model -Architecture lenet5 -Seed 4 -Name lenet-c
        $report = $m | Export-Model -Path (Join-Path $dir 'm.cpz') -Format Compact -Report
        $report.Format | Should -Be 'Compact'
        $report.Bytes | Should -Be (Get-Item (Join-Path $dir 'm.cpz')).Length
        $report.DenseBytes | Should -Be $m.DenseBytes
        $report.CompressionRatio | Should -BeGreaterThan 0
        $back = Import-Model -Path (Join-Path $dir 'm.cpz')
        $back.Name | Should -Be 'lenet-c'
        $back.Architecture | Should -Be 'lenet5'
        $x = [TorchSharp.torch]::randn([long[]](2, 1, 28, 28))
        [TorchSharp.TensorExtensionMethods]::ToBoolean($m.Forward($x).eq($back.Forward($x)).all()) | Should -BeTrue
    }

    It 'round-trips a TorchScript model' {
        $m = Import-Model -Path $fixture
        $m | Export-Model -Path (Join-Path $dir 'ts.cpz')
        $back = Import-Model -Path (Join-Path $dir 'ts.cpz')
        $back.IsTorchScript | Should -BeTrue
        $x = [TorchSharp.torch]::randn([long[]](2, 1, 8, 8))
        [TorchSharp.TensorExtensionMethods]::ToBoolean($m.Forward($x).eq($back.Forward($x)).all()) | Should -BeTrue
    }

    It 'keeps -PassThru returning the model and refuses -Report with -PassThru' {
        $m = New-Model -Architecture mlp -Seed 1
        ($m | Export-Model -Path (Join-Path $dir 'p.cpz') -PassThru) | Should -Be $m
        { $m | Export-Model -Path (Join-Path $dir 'q.cpz') -PassThru -Report } | Should -Throw -ErrorId 'AmbiguousParameterSet,*'
    }

    It 'reports <Id> for a <Case> file and returns no model' -TestCases @(
        @{ Case = 'truncated'; Id = 'CompactTruncated' }
        @{ Case = 'corrupted'; Id = 'CompactChecksumMismatch' }
        @{ Case = 'future'; Id = 'CompactVersionUnsupported' }
    ) {
        New-Model -Architecture mlp -Seed 1 | Export-Model -Path (Join-Path $dir 'good.cpz')
        $bytes = [System.IO.File]::ReadAllBytes((Join-Path $dir 'good.cpz'))
        switch ($Case) {
            'truncated' { $bytes = $bytes[0..([int]($bytes.Length / 2))] }
            'corrupted' { $bytes[$bytes.Length - 10] = $bytes[$bytes.Length - 10] -bxor 0xFF }
            'future' { $bytes[8] = 7 }
        }
        $bad = Join-Path $dir "$Case.cpz"
        [System.IO.File]::WriteAllBytes($bad, [byte[]]$bytes)
        $result = Import-Model -Path $bad -ErrorVariable errs -ErrorAction SilentlyContinue
        $result | Should -BeNullOrEmpty
        $errs[0].FullyQualifiedErrorId | Should -BeLike "$Id,*"
    }

    It 'runs the compact-footprint example' {
        { & "$PSScriptRoot/../examples/compact-footprint.ps1" -OutputFolder $dir 6>$null } | Should -Not -Throw
    }
}

Describe 'Measure-Model' {
    It 'reports sane figures' {
        $r = New-Model -Architecture lenet5 -Seed 2 | Measure-Model -BatchSize 4 -Iterations 4 -Warmup 1
        $r.LatencyP50Ms | Should -BeGreaterThan 0
        $r.LatencyP50Ms | Should -BeLessOrEqual $r.LatencyP95Ms
        $r.Throughput | Should -BeGreaterThan 0
        $r.TrainingThroughput | Should -BeGreaterThan 0
        $r.CompactBytes | Should -BeGreaterThan 0
        $r.Speedup | Should -BeNullOrEmpty
    }

    It 'adds speedup and size ratio with a reference' {
        $ref = New-Model -Architecture lenet5 -Seed 1 -Name ref
        $r = New-Model -Architecture lenet5 -Seed 2 | Measure-Model -Reference $ref -Iterations 3 -Warmup 0 -SkipTraining
        $r.Reference | Should -Be 'ref'
        $r.Speedup | Should -BeGreaterThan 0
        $r.SizeRatio | Should -BeGreaterThan 0
        $r.TrainingThroughput | Should -BeNullOrEmpty
    }

    It 'needs -InputShape for TorchScript models' {
        { Import-Model -Path $fixture | Measure-Model -Iterations 2 -ErrorAction Stop } | Should -Throw -ErrorId 'InputShapeRequired,*'
        (Import-Model -Path $fixture | Measure-Model -InputShape 1, 8, 8 -Iterations 2 -Warmup 0).InputShape | Should -Be @(1, 8, 8)
    }
}

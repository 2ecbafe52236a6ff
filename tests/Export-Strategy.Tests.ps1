# Pester 5 suite for Export-Strategy (the xUnit module twins: tests/CondensaPS.Module.Tests/CompressionCmdletTests.cs and
# SingleOutputFileTests.cs). Run alone: .tools/pwsh/pwsh tests/Invoke-PesterSuites.ps1 tests/Export-Strategy.Tests.ps1
BeforeAll {
    . "$PSScriptRoot/Pester.Helpers.ps1"
}

Describe 'Export-Strategy' {
    It 'writes a history that replays to the same model, and needs -Force to overwrite' {
        $m = New-Model -Architecture lenet5 -Seed 6
        $c = $m | Invoke-Prune -Ratio 0.8 | Invoke-Quantize -Type Float16
        $file = $c | Export-Strategy -Path (Join-Path $TestDrive 's.yaml')
        $r = Invoke-CompressionStrategy -Path $file.FullName -Model $m
        $a = @($c | Get-ModelLayer -All); $b = @($r | Get-ModelLayer -All)
        for ($i = 0; $i -lt $a.Count; $i++) { $b[$i].NonZeros | Should -Be $a[$i].NonZeros }
        $r.DType | Should -Be 'float16'
        (Test-Strategy -Path $file.FullName).Steps.Count | Should -Be 2
        { $c | Export-Strategy -Path (Join-Path $TestDrive 's.yaml') -ErrorAction Stop } | Should -Throw -ErrorId 'OutputExists,CondensaPS.Cmdlets.ExportStrategyCommand'
    }

    It 'refuses a second piped model: one output file per call' {
        $a = New-Model lenet5 -Seed 1 | Invoke-Prune -Ratio 0.5
        $b = New-Model lenet5 -Seed 2 | Invoke-Prune -Ratio 0.5
        { $a, $b | Export-Strategy -Path (Join-Path $TestDrive 'two.yaml') -ErrorAction Stop } | Should -Throw -ErrorId 'MultipleModelsToOnePath*'
    }
}

Describe 'Export-Strategy error rules' {
    It 'reports a model without history as a non-terminating error and writes nothing' {
        $path = Join-Path $TestDrive 'never.yaml'
        $Error.Clear()
        $out = New-Model lenet5 | Export-Strategy -Path $path -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $Error[0].FullyQualifiedErrorId | Should -Be 'HistoryEmpty,CondensaPS.Cmdlets.ExportStrategyCommand'
        Test-Path $path | Should -BeFalse
    }
}

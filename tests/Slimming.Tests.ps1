# Pester 5 suite for structural slimming, MACs and empty-layer protection (the same behaviour as
# tests/CondensaPS.Module.Tests/SlimCmdletTests.cs). Build first: dotnet build CondensaPS.sln
BeforeAll {
    Import-Module "$PSScriptRoot/../out/CondensaPS/CondensaPS.psd1" -Force
    $LeNet = Join-Path $PSScriptRoot 'fixtures/lenet5_scripted.pt'
    function New-TempFolder {
        $dir = Join-Path ([System.IO.Path]::GetTempPath()) ("condensaps-pester-" + [guid]::NewGuid().ToString('N'))
        $null = [System.IO.Directory]::CreateDirectory($dir)
        $dir
    }
}

Describe 'Invoke-Prune -Slim' {
    It 'removes filters, shrinks the next layers, and reports each layer' {
        $m = Import-Model $LeNet
        $s = $m | Invoke-Prune -Ratio 0.5 -Method Filter -Slim -InputShape 1,28,28
        $rows = $s.History[-1].Results['layers']
        @($rows).Count | Should -Be 5
        ($rows | Where-Object Layer -eq 'conv1').OutAfter | Should -Be 3
        ($rows | Where-Object Layer -eq 'fc1').InAfter | Should -Be 200
        ($rows | Where-Object Layer -eq 'conv1').Note | Should -BeLike 'removed 3 of 6 filters*'
        $s.Parameters | Should -BeLessThan $m.Parameters
        $s.Macs | Should -BeLessThan ($m.Structure(@(1, 28, 28)).Macs / 2)
        $s.Reference | Should -Be $m
        $m.History.Count | Should -Be 0
    }

    It 'keeps one channel where the ratio would remove them all, and warns' {
        $w = $null
        $s = Import-Model $LeNet | Invoke-Prune -Ratio 0.95 -Method Filter -Slim -InputShape 1,28,28 -WarningVariable w -WarningAction SilentlyContinue
        ($s.History[-1].Results['layers'] | Where-Object Layer -eq 'conv1').OutAfter | Should -Be 1
        "$w" | Should -BeLike '*one channel of each is kept*'
    }

    It 'slims linear layers with -Method Neuron and never the output layer' {
        $s = Import-Model $LeNet | Invoke-Prune -Ratio 0.5 -Method Neuron -Slim -InputShape 1,28,28
        $fc3 = $s.History[-1].Results['layers'] | Where-Object Layer -eq 'fc3'
        $fc3.OutAfter | Should -Be 10
        $fc3.InAfter | Should -Be 42
    }

    It 'exports a slimmed model that imports back with the same outputs' {
        $s = Import-Model $LeNet | Invoke-Prune -Ratio 0.5 -Method Filter -Slim -InputShape 1,28,28
        $path = Join-Path (New-TempFolder) 'slim.pt'
        $s | Export-Model -Path $path
        $back = Import-Model $path
        $back.Parameters | Should -Be $s.Parameters
    }

    It 'needs -InputShape for a TorchScript model' {
        { Import-Model $LeNet | Invoke-Prune -Ratio 0.5 -Method Filter -Slim -ErrorAction Stop } |
            Should -Throw -ErrorId 'InputShapeRequired,CondensaPS.Cmdlets.InvokePruneCommand'
    }

    It 'refuses -Slim with a method that masks single weights' {
        { Import-Model $LeNet | Invoke-Prune -Ratio 0.5 -Slim -InputShape 1,28,28 -ErrorAction Stop } |
            Should -Throw -ErrorId 'InvalidStepSetting,CondensaPS.Cmdlets.InvokePruneCommand'
    }

    It 'is replayed exactly by a strategy' {
        $m = Import-Model $LeNet
        $s = $m | Invoke-Prune -Ratio 0.6 -Method Filter -Slim -InputShape 1,28,28 -Align 2
        $yaml = Join-Path (New-TempFolder) 'slim.yaml'
        $s | Export-Strategy -Path $yaml
        $r = Invoke-CompressionStrategy -Path $yaml -Model $m
        $r.Parameters | Should -Be $s.Parameters
        ($r.History[-1].Results['kept']['conv2'] -join ',') | Should -Be ($s.History[-1].Results['kept']['conv2'] -join ',')
    }
}

Describe 'Multiply-accumulates' {
    It 'are counted once a TorchScript model knows its input shape' {
        $m = Import-Model $LeNet
        $m.Macs | Should -BeNullOrEmpty
        $m.InputShape = 1, 28, 28
        $m.Macs | Should -Be 416520
    }

    It 'are reported by Measure-Model' {
        $m = Import-Model $LeNet
        (Measure-Model $m -InputShape 1,28,28 -Iterations 2 -Warmup 0 -SkipTraining).Macs | Should -Be 416520
    }
}

Describe 'Empty layers' {
    It 'warns when pruning empties a layer, and -MaxLayerSparsity caps every layer' {
        $m = New-Model -Architecture lenet5 -Seed 3
        $w = $null
        $null = $m | Invoke-Prune -Ratio 0.99 -Method Filter -WarningVariable w -WarningAction SilentlyContinue
        "$w" | Should -BeLike '*conv1.weight*-MaxLayerSparsity*'
        $c = $m | Invoke-Prune -Ratio 0.9 -Scope Layer -MaxLayerSparsity 0.5
        foreach ($l in ($c | Get-ModelLayer)) { $l.Sparsity | Should -BeLessOrEqual 0.5 }
    }
}

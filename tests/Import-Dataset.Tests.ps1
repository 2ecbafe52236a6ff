# Pester 5 suite for Import-Dataset: MNIST IDX, image folders (PNG via SkiaSharp), safetensors files, -Resize for every
# source (the xUnit module twins: tests/CondensaPS.Module.Tests/RetrainCmdletTests.cs and DatasetSourcesCmdletTests.cs).
# Run alone: .tools/pwsh/pwsh tests/Invoke-PesterSuites.ps1 tests/Import-Dataset.Tests.ps1
BeforeAll {
    . "$PSScriptRoot/Pester.Helpers.ps1"
    . "$PSScriptRoot/DatasetSources.Helpers.ps1"
    function New-GreyFolder {
        $dir = New-TestFolder
        foreach ($i in 0..2) { New-TestPng -Path (Join-Path $dir "cat/c$i.png") -Width 4 -Height 6 -Pixel { param($x, $y) 10 * $x + $y } }
        foreach ($i in 0..1) { New-TestPng -Path (Join-Path $dir "dog/d$i.png") -Width 4 -Height 6 -Pixel { param($x, $y) 200 } }
        $dir
    }
    function Get-ErrorId([scriptblock]$Script) {
        try { & $Script; 'no error' } catch { $_.FullyQualifiedErrorId }
    }
}

Describe 'Import-Dataset on MNIST IDX files' {
    It 'reads MNIST IDX (.gz) with its labels, shape, classes and balance' {
        $d = Import-Dataset (Join-Path $Mnist 'val-images-idx3-ubyte.gz') -Seed 4
        $d.Count | Should -Be 1000
        $d.Shape | Should -Be '1x28x28'
        $d.Classes | Should -Be 10
        $d.Transforms | Should -Match 'normalize mean 0.1307 std 0.3081'
        $d.Seed | Should -Be 4
    }
    It 'reports mismatched image and label counts' {
        { Import-Dataset (Join-Path $Mnist 'val-images-idx3-ubyte.gz') -LabelPath (Join-Path $Mnist 'test-labels-idx1-ubyte.gz') -ErrorAction Stop } |
            Should -Throw -ErrorId 'DatasetCountMismatch,CondensaPS.Cmdlets.ImportDatasetCommand'
    }
    It 'reports a wrong magic number' {
        { Import-Dataset (Join-Path $Mnist 'val-labels-idx1-ubyte.gz') -LabelPath (Join-Path $Mnist 'val-labels-idx1-ubyte.gz') -ErrorAction Stop } |
            Should -Throw -ErrorId 'DatasetBadMagic,CondensaPS.Cmdlets.ImportDatasetCommand'
    }
    It 'reports a truncated file' {
        $images = Join-Path $TestDrive 'x-images-idx3-ubyte'
        [System.IO.File]::WriteAllBytes($images, [byte[]](0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28, 1, 2))
        [System.IO.File]::WriteAllBytes((Join-Path $TestDrive 'x-labels-idx1-ubyte'), [byte[]](0, 0, 8, 1, 0, 0, 0, 2, 1, 2))
        { Import-Dataset $images -ErrorAction Stop } | Should -Throw -ErrorId 'DatasetTruncated,CondensaPS.Cmdlets.ImportDatasetCommand'
    }
    It 'resizes MNIST once at import and records it first in the transforms' {
        $d = Import-Dataset (Join-Path $Mnist 'val-images-idx3-ubyte.gz') -Resize 14 -First 10
        $d.Shape | Should -Be '1x14x14'
        $d.Transforms | Should -BeLike 'resize 28x28 -> 14x14 bilinear (at import); scale 1/255; normalize*'
    }
}

Describe 'Import-Dataset on an image folder' {
    It 'reads classes from sorted subfolders with their balance' {
        $d = Import-Dataset (New-GreyFolder)
        $d.Format | Should -Be 'ImageFolder'
        $d.Count | Should -Be 5
        $d.Shape | Should -Be '1x6x4'
        ($d.ClassNames -join ',') | Should -Be 'cat,dog'
        $d.ClassBalance | Should -Be 'cat:3 dog:2'
        $d.Transforms | Should -Be 'scale 1/255'
    }
    It 'reads RGB images, -Channels 1 and -Resize h,w' {
        $dir = New-TestFolder
        New-TestPng -Path (Join-Path $dir 'red/1.png') -Width 3 -Height 3 -Rgb -Pixel { param($x, $y) 255, 0, 0 }
        New-TestPng -Path (Join-Path $dir 'blue/1.png') -Width 3 -Height 3 -Rgb -Pixel { param($x, $y) 0, 0, 255 }
        (Import-Dataset $dir).Shape | Should -Be '3x3x3'
        $d = Import-Dataset $dir -Channels 1 -Resize 8, 6
        $d.Shape | Should -Be '1x8x6'
        $d.Transforms | Should -BeLike 'resize 3x3 -> 8x6 bilinear*'
    }
    It 'refuses an image of another size naming it, unless -Resize is given' {
        $dir = New-GreyFolder
        New-TestPng -Path (Join-Path $dir 'dog/big.png') -Width 9 -Height 9 -Pixel { param($x, $y) 7 }
        { Import-Dataset $dir -ErrorAction Stop } | Should -Throw -ErrorId 'DatasetImageSizeMismatch,CondensaPS.Cmdlets.ImportDatasetCommand' -ExpectedMessage '*big.png*'
        $d = Import-Dataset $dir -Resize 5
        $d.Shape | Should -Be '1x5x5'
        $d.ToString() | Should -BeLike '*resized from mixed sizes*'
    }
    It 'has an error id for each bad folder' {
        $flat = New-TestFolder
        New-TestPng -Path (Join-Path $flat 'a.png') -Width 2 -Height 2 -Pixel { param($x, $y) 1 }
        Get-ErrorId { Import-Dataset $flat -ErrorAction Stop } | Should -Be 'DatasetNoClasses,CondensaPS.Cmdlets.ImportDatasetCommand'
        $empty = New-TestFolder
        [void][System.IO.Directory]::CreateDirectory((Join-Path $empty 'a'))
        Get-ErrorId { Import-Dataset $empty -ErrorAction Stop } | Should -Be 'DatasetEmpty,CondensaPS.Cmdlets.ImportDatasetCommand'
        $bad = New-GreyFolder
        [System.IO.File]::WriteAllText((Join-Path $bad 'cat/broken.png'), 'not a png')
        Get-ErrorId { Import-Dataset $bad -ErrorAction Stop } | Should -Be 'DatasetBadImage,CondensaPS.Cmdlets.ImportDatasetCommand'
        Get-ErrorId { Import-Dataset (Join-Path (New-TestFolder) 'none') -Format ImageFolder -ErrorAction Stop } | Should -Be 'DatasetFileNotFound,CondensaPS.Cmdlets.ImportDatasetCommand'
    }
}

Describe 'Import-Dataset on a safetensors file' {
    It 'detects the format and reads class names from metadata' {
        $f = Join-Path $TestDrive 'd.safetensors'
        New-TestSafeTensors -Path $f -Count 3 -Channels 3 -Height 2 -Width 2 -Labels 0, 1, 1 -Classes 'cat,dog'
        $d = Import-Dataset $f
        $d.Format | Should -Be 'SafeTensors'
        $d.Shape | Should -Be '3x2x2'
        $d.ClassBalance | Should -Be 'cat:1 dog:2'
    }
    It 'detects a safetensors header without the extension and resizes' {
        $f = Join-Path $TestDrive 'plain.dat'
        New-TestSafeTensors -Path $f -Count 2 -Channels 1 -Height 4 -Width 4 -Labels 0, 2
        $d = Import-Dataset $f -Resize 2
        $d.Format | Should -Be 'SafeTensors'
        $d.Shape | Should -Be '1x2x2'
        $d.ClassBalance | Should -Be '0:1 1:0 2:1'
        $d.Transforms | Should -BeLike 'resize 4x4 -> 2x2 bilinear*'
    }
    It 'has an error id for each bad file' {
        $dir = New-TestFolder
        New-TestSafeTensors -Path (Join-Path $dir 'nolabels.safetensors') -Count 2 -Channels 1 -Height 2 -Width 2 -Labels 0, 1 -LabelsName 'targets'
        New-TestSafeTensors -Path (Join-Path $dir 'count.safetensors') -Count 2 -Channels 1 -Height 2 -Width 2 -Labels 0, 1, 1
        New-TestSafeTensors -Path (Join-Path $dir 'label.safetensors') -Count 2 -Channels 1 -Height 2 -Width 2 -Labels 0, 5 -Classes 'a,b'
        Get-ErrorId { Import-Dataset (Join-Path $dir 'nolabels.safetensors') -ErrorAction Stop } | Should -Be 'DatasetTensorMissing,CondensaPS.Cmdlets.ImportDatasetCommand'
        Get-ErrorId { Import-Dataset (Join-Path $dir 'count.safetensors') -ErrorAction Stop } | Should -Be 'DatasetCountMismatch,CondensaPS.Cmdlets.ImportDatasetCommand'
        Get-ErrorId { Import-Dataset (Join-Path $dir 'label.safetensors') -ErrorAction Stop } | Should -Be 'DatasetBadLabel,CondensaPS.Cmdlets.ImportDatasetCommand'
        Get-ErrorId { Import-Dataset (Join-Path $dir 'count.safetensors') -Channels 3 -ErrorAction Stop } | Should -Be 'DatasetBadChannels,CondensaPS.Cmdlets.ImportDatasetCommand'
    }
}

Describe 'Import-Dataset error rules' {
    It 'reports a missing file as a non-terminating error' {
        $Error.Clear()
        $out = Import-Dataset /no/such/x-images-idx3-ubyte -LabelPath /no/such/x-labels-idx1-ubyte -ErrorAction SilentlyContinue
        $out | Should -BeNullOrEmpty
        $Error[0].FullyQualifiedErrorId | Should -Be 'DatasetFileNotFound,CondensaPS.Cmdlets.ImportDatasetCommand'
        $Error[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
    }

    It 'stops on an odd count of -Normalize values, whatever -ErrorAction says' {
        { Import-Dataset /no/such/file -Normalize 0.1, 0.2, 0.3 -ErrorAction SilentlyContinue } | Should -Throw -ErrorId 'DatasetBadNormalize,CondensaPS.Cmdlets.ImportDatasetCommand'
    }
}

# Pester 5: Import-Dataset on image folders (PNG via SkiaSharp) and safetensors files, and -Resize for every source
# (the same behaviour as tests/CondensaPS.Module.Tests/DatasetSourcesCmdletTests.cs).
BeforeAll {
    Import-Module "$PSScriptRoot/../out/CondensaPS/CondensaPS.psd1"
    . "$PSScriptRoot/DatasetSources.Helpers.ps1"
    function New-TempDir {
        $d = Join-Path ([System.IO.Path]::GetTempPath()) ('condensaps-pester-' + [guid]::NewGuid().ToString('N'))
        [void][System.IO.Directory]::CreateDirectory($d)
        $d
    }
    function New-GreyFolder {
        $dir = New-TempDir
        foreach ($i in 0..2) { New-TestPng -Path (Join-Path $dir "cat/c$i.png") -Width 4 -Height 6 -Pixel { param($x, $y) 10 * $x + $y } }
        foreach ($i in 0..1) { New-TestPng -Path (Join-Path $dir "dog/d$i.png") -Width 4 -Height 6 -Pixel { param($x, $y) 200 } }
        $dir
    }
    function Get-ErrorId([scriptblock]$Script) {
        try { & $Script; 'no error' } catch { $_.FullyQualifiedErrorId }
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
        $dir = New-TempDir
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
        $flat = New-TempDir
        New-TestPng -Path (Join-Path $flat 'a.png') -Width 2 -Height 2 -Pixel { param($x, $y) 1 }
        Get-ErrorId { Import-Dataset $flat -ErrorAction Stop } | Should -Be 'DatasetNoClasses,CondensaPS.Cmdlets.ImportDatasetCommand'
        $empty = New-TempDir
        [void][System.IO.Directory]::CreateDirectory((Join-Path $empty 'a'))
        Get-ErrorId { Import-Dataset $empty -ErrorAction Stop } | Should -Be 'DatasetEmpty,CondensaPS.Cmdlets.ImportDatasetCommand'
        $bad = New-GreyFolder
        [System.IO.File]::WriteAllText((Join-Path $bad 'cat/broken.png'), 'not a png')
        Get-ErrorId { Import-Dataset $bad -ErrorAction Stop } | Should -Be 'DatasetBadImage,CondensaPS.Cmdlets.ImportDatasetCommand'
        Get-ErrorId { Import-Dataset (Join-Path (New-TempDir) 'none') -Format ImageFolder -ErrorAction Stop } | Should -Be 'DatasetFileNotFound,CondensaPS.Cmdlets.ImportDatasetCommand'
    }
}

Describe 'Import-Dataset on a safetensors file' {
    It 'detects the format and reads class names from metadata' {
        $dir = New-TempDir
        $f = Join-Path $dir 'd.safetensors'
        New-TestSafeTensors -Path $f -Count 3 -Channels 3 -Height 2 -Width 2 -Labels 0, 1, 1 -Classes 'cat,dog'
        $d = Import-Dataset $f
        $d.Format | Should -Be 'SafeTensors'
        $d.Shape | Should -Be '3x2x2'
        $d.ClassBalance | Should -Be 'cat:1 dog:2'
    }
    It 'detects a safetensors header without the extension and resizes' {
        $f = Join-Path (New-TempDir) 'plain.dat'
        New-TestSafeTensors -Path $f -Count 2 -Channels 1 -Height 4 -Width 4 -Labels 0, 2
        $d = Import-Dataset $f -Resize 2
        $d.Format | Should -Be 'SafeTensors'
        $d.Shape | Should -Be '1x2x2'
        $d.ClassBalance | Should -Be '0:1 1:0 2:1'
        $d.Transforms | Should -BeLike 'resize 4x4 -> 2x2 bilinear*'
    }
    It 'has an error id for each bad file' {
        $dir = New-TempDir
        New-TestSafeTensors -Path (Join-Path $dir 'nolabels.safetensors') -Count 2 -Channels 1 -Height 2 -Width 2 -Labels 0, 1 -LabelsName 'targets'
        New-TestSafeTensors -Path (Join-Path $dir 'count.safetensors') -Count 2 -Channels 1 -Height 2 -Width 2 -Labels 0, 1, 1
        New-TestSafeTensors -Path (Join-Path $dir 'label.safetensors') -Count 2 -Channels 1 -Height 2 -Width 2 -Labels 0, 5 -Classes 'a,b'
        Get-ErrorId { Import-Dataset (Join-Path $dir 'nolabels.safetensors') -ErrorAction Stop } | Should -Be 'DatasetTensorMissing,CondensaPS.Cmdlets.ImportDatasetCommand'
        Get-ErrorId { Import-Dataset (Join-Path $dir 'count.safetensors') -ErrorAction Stop } | Should -Be 'DatasetCountMismatch,CondensaPS.Cmdlets.ImportDatasetCommand'
        Get-ErrorId { Import-Dataset (Join-Path $dir 'label.safetensors') -ErrorAction Stop } | Should -Be 'DatasetBadLabel,CondensaPS.Cmdlets.ImportDatasetCommand'
        Get-ErrorId { Import-Dataset (Join-Path $dir 'count.safetensors') -Channels 3 -ErrorAction Stop } | Should -Be 'DatasetBadChannels,CondensaPS.Cmdlets.ImportDatasetCommand'
    }
}

Describe 'Import-Dataset -Resize on IDX' {
    It 'resizes MNIST once at import and records it first in the transforms' {
        $d = Import-Dataset (Join-Path $PSScriptRoot '../data/mnist/val-images-idx3-ubyte.gz') -Resize 14 -First 10
        $d.Shape | Should -Be '1x14x14'
        $d.Transforms | Should -BeLike 'resize 28x28 -> 14x14 bilinear (at import); scale 1/255; normalize*'
    }
}

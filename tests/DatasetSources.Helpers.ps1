# Test helpers for image-folder and safetensors data sets, shared by tests/Import-Dataset.Tests.ps1 (Pester) and
# tests/CondensaPS.Module.Tests/DatasetSourcesCmdletTests.cs (xUnit, hosted runspace). Plain .NET only: no cmdlets
# beyond PowerShell's core, no image library.

function New-TestPng {
    # Writes an 8-bit PNG (grey: colour type 0, one value per pixel; RGB: colour type 2, three) with no filtering.
    # $Pixel is a scriptblock taking x and y that returns one byte (grey) or three (RGB).
    param([string]$Path, [int]$Width, [int]$Height, [scriptblock]$Pixel, [switch]$Rgb)
    $channels = if ($Rgb) { 3 } else { 1 }
    $raw = [System.IO.MemoryStream]::new()
    for ($y = 0; $y -lt $Height; $y++) {
        $raw.WriteByte(0)
        for ($x = 0; $x -lt $Width; $x++) {
            foreach ($v in @(& $Pixel $x $y)) { $raw.WriteByte([byte]$v) }
        }
    }
    $packed = [System.IO.MemoryStream]::new()
    $z = [System.IO.Compression.ZLibStream]::new($packed, [System.IO.Compression.CompressionLevel]::Optimal)
    $z.Write($raw.ToArray(), 0, [int]$raw.Length)
    $z.Dispose()
    $ihdr = [byte[]]::new(13)
    [System.Array]::Copy((Get-TestBigEndian $Width), 0, $ihdr, 0, 4)
    [System.Array]::Copy((Get-TestBigEndian $Height), 0, $ihdr, 4, 4)
    $ihdr[8] = 8
    $ihdr[9] = if ($Rgb) { 2 } else { 0 }
    $file = [System.IO.MemoryStream]::new()
    $file.Write([byte[]](0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A), 0, 8)
    foreach ($chunk in @(@('IHDR', $ihdr), @('IDAT', $packed.ToArray()), @('IEND', [byte[]]::new(0)))) {
        $type = [System.Text.Encoding]::ASCII.GetBytes($chunk[0])
        $data = [byte[]]$chunk[1]
        $file.Write((Get-TestBigEndian $data.Length), 0, 4)
        $file.Write($type, 0, 4)
        $file.Write($data, 0, $data.Length)
        $file.Write((Get-TestBigEndian (Get-TestCrc32 ([byte[]]($type + $data)))), 0, 4)
    }
    $dir = Split-Path -Parent $Path
    if (-not (Test-Path $dir)) { [void][System.IO.Directory]::CreateDirectory($dir) }
    [System.IO.File]::WriteAllBytes($Path, $file.ToArray())
}

function Get-TestBigEndian([long]$Value) {
    # The low 32 bits of $Value as 4 big-endian bytes.
    return , [byte[]](@((($Value -shr 24) -band 255), (($Value -shr 16) -band 255), (($Value -shr 8) -band 255), ($Value -band 255)))
}

function Get-TestCrc32([byte[]]$Bytes) {
    # PNG's CRC-32 (polynomial 0xEDB88320, reflected), in [long] arithmetic to stay unsigned.
    [long]$crc = 4294967295
    foreach ($b in $Bytes) {
        $crc = $crc -bxor $b
        for ($k = 0; $k -lt 8; $k++) {
            if ($crc -band 1) { $crc = ($crc -shr 1) -bxor 3988292384 } else { $crc = $crc -shr 1 }
        }
    }
    $crc -bxor 4294967295
}

function New-TestSafeTensors {
    # Writes a safetensors file of uint8 images [N, C, H, W] (pixel i = i mod 256) and int64 labels, optionally with
    # "classes" metadata; -ImagesName / -LabelsName rename the tensors (to test a missing one).
    param([string]$Path, [int]$Count, [int]$Channels, [int]$Height, [int]$Width, [long[]]$Labels, [string]$Classes,
          [string]$ImagesName = 'images', [string]$LabelsName = 'labels')
    $pixelBytes = $Count * $Channels * $Height * $Width
    $labelBytes = 8 * $Labels.Length
    $meta = if ($Classes) { '"__metadata__":{"classes":"' + $Classes + '"},' } else { '' }
    $json = '{' + $meta +
        '"' + $ImagesName + '":{"dtype":"U8","shape":[' + "$Count,$Channels,$Height,$Width" + '],"data_offsets":[0,' + $pixelBytes + ']},' +
        '"' + $LabelsName + '":{"dtype":"I64","shape":[' + $Labels.Length + '],"data_offsets":[' + $pixelBytes + ',' + ($pixelBytes + $labelBytes) + ']}}'
    while ($json.Length % 8 -ne 0) { $json += ' ' }
    $file = [System.IO.MemoryStream]::new()
    $file.Write([System.BitConverter]::GetBytes([uint64]$json.Length), 0, 8)
    $head = [System.Text.Encoding]::UTF8.GetBytes($json)
    $file.Write($head, 0, $head.Length)
    for ($i = 0; $i -lt $pixelBytes; $i++) { $file.WriteByte([byte]($i % 256)) }
    foreach ($l in $Labels) { $file.Write([System.BitConverter]::GetBytes([long]$l), 0, 8) }
    [System.IO.File]::WriteAllBytes($Path, $file.ToArray())
}

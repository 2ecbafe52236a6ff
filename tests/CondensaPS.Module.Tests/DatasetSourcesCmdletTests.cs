using CondensaPS.Module.Tests.Support;

namespace CondensaPS.Module.Tests;

/// <summary>Import-Dataset on image folders and safetensors files (images made by tests/DatasetSources.Helpers.ps1, as the Pester suite does).</summary>
[Collection(ModuleCollection.Name)]
public class DatasetSourcesCmdletTests
{
    private readonly ModuleSession _m;
    public DatasetSourcesCmdletTests(ModuleSession m) => _m = m;

    private string Helpers => $". '{Path.Combine(_m.RepoRoot, "tests", "DatasetSources.Helpers.ps1").Replace("'", "''")}'";

    private const string Summary = "[pscustomobject]@{ Format = $d.Format; Count = $d.Count; Shape = $d.Shape; Classes = ($d.ClassNames -join ','); Balance = $d.ClassBalance; Transforms = $d.Transforms; Text = $d.ToString() }";

    /// <summary>cat: 3 grey 4x6 (w x h) images, dog: 2.</summary>
    private string GreyFolder()
    {
        var dir = _m.NewTempFolder();
        _m.Run($$"""
            {{Helpers}}
            foreach ($i in 0..2) { New-TestPng -Path (Join-Path '{{dir}}' "cat/c$i.png") -Width 4 -Height 6 -Pixel { param($x, $y) 10 * $x + $y } }
            foreach ($i in 0..1) { New-TestPng -Path (Join-Path '{{dir}}' "dog/d$i.png") -Width 4 -Height 6 -Pixel { param($x, $y) 200 } }
            """).AssertSucceeded();
        return dir;
    }

    private void AssertError(string script, string errorId)
    {
        var r = _m.Run(script);
        Assert.Equal(errorId + ",CondensaPS.Cmdlets.ImportDatasetCommand", r.SingleError().FullyQualifiedErrorId);
    }

    [Fact]
    public void A_folder_is_read_as_an_image_folder_with_class_names_and_balance()
    {
        var dir = GreyFolder();
        var r = _m.Run($"$d = Import-Dataset '{dir}'; {Summary}");
        r.AssertSucceeded();
        var o = r.Output.Single();
        Assert.Equal("ImageFolder", o.Prop<string>("Format"));
        Assert.Equal(5, o.Prop<int>("Count"));
        Assert.Equal("1x6x4", o.Prop<string>("Shape"));
        Assert.Equal("cat,dog", o.Prop<string>("Classes"));
        Assert.Equal("cat:3 dog:2", o.Prop<string>("Balance"));
        Assert.Equal("scale 1/255", o.Prop<string>("Transforms"));
    }

    [Fact]
    public void Rgb_png_and_channels_and_resize_on_an_image_folder()
    {
        var dir = _m.NewTempFolder();
        var r = _m.Run($$"""
            {{Helpers}}
            New-TestPng -Path (Join-Path '{{dir}}' 'red/1.png') -Width 3 -Height 3 -Rgb -Pixel { param($x, $y) 255, 0, 0 }
            New-TestPng -Path (Join-Path '{{dir}}' 'blue/1.png') -Width 3 -Height 3 -Rgb -Pixel { param($x, $y) 0, 0, 255 }
            $d = Import-Dataset '{{dir}}'
            {{Summary}}
            $d = Import-Dataset '{{dir}}' -Channels 1 -Resize 8,6
            {{Summary}}
            """);
        r.AssertSucceeded();
        Assert.Equal("3x3x3", r.Output[0].Prop<string>("Shape"));
        Assert.Equal("blue,red", r.Output[0].Prop<string>("Classes"));
        Assert.Equal("1x8x6", r.Output[1].Prop<string>("Shape"));
        Assert.StartsWith("resize 3x3 -> 8x6 bilinear", r.Output[1].Prop<string>("Transforms"));
    }

    [Fact]
    public void Image_folder_errors_have_their_ids()
    {
        var dir = GreyFolder();
        _m.Run($"{Helpers}; New-TestPng -Path (Join-Path '{dir}' 'dog/big.png') -Width 9 -Height 9 -Pixel {{ param($x, $y) 7 }}").AssertSucceeded();
        var r = _m.Run($"Import-Dataset '{dir}'");
        var e = r.SingleError();
        Assert.Equal("DatasetImageSizeMismatch,CondensaPS.Cmdlets.ImportDatasetCommand", e.FullyQualifiedErrorId);
        Assert.Contains("big.png", e.Exception.Message);
        var ok = _m.Run($"$d = Import-Dataset '{dir}' -Resize 5; {Summary}");
        ok.AssertSucceeded();
        Assert.Equal("1x5x5", ok.Output.Single().Prop<string>("Shape"));
        Assert.Contains("resized from mixed sizes", ok.Output.Single().Prop<string>("Text"));

        var flat = _m.NewTempFolder();
        _m.Run($"{Helpers}; New-TestPng -Path (Join-Path '{flat}' 'a.png') -Width 2 -Height 2 -Pixel {{ param($x, $y) 1 }}").AssertSucceeded();
        AssertError($"Import-Dataset '{flat}'", "DatasetNoClasses");

        var empty = _m.NewTempFolder();
        Directory.CreateDirectory(Path.Combine(empty, "a"));
        AssertError($"Import-Dataset '{empty}'", "DatasetEmpty");

        var bad = GreyFolder();
        File.WriteAllText(Path.Combine(bad, "cat", "broken.png"), "not a png");
        AssertError($"Import-Dataset '{bad}'", "DatasetBadImage");
        AssertError($"Import-Dataset '{Path.Combine(_m.NewTempFolder(), "none")}' -Format ImageFolder", "DatasetFileNotFound");
    }

    [Fact]
    public void A_safetensors_file_is_detected_and_read_with_metadata_class_names_and_resize()
    {
        var dir = _m.NewTempFolder();
        var r = _m.Run($$"""
            {{Helpers}}
            New-TestSafeTensors -Path (Join-Path '{{dir}}' 'd.safetensors') -Count 3 -Channels 3 -Height 2 -Width 2 -Labels 0, 1, 1 -Classes 'cat,dog'
            New-TestSafeTensors -Path (Join-Path '{{dir}}' 'plain.dat') -Count 2 -Channels 1 -Height 4 -Width 4 -Labels 0, 2
            $d = Import-Dataset (Join-Path '{{dir}}' 'd.safetensors')
            {{Summary}}
            $d = Import-Dataset (Join-Path '{{dir}}' 'plain.dat') -Resize 2
            {{Summary}}
            """);
        r.AssertSucceeded();
        Assert.Equal("SafeTensors", r.Output[0].Prop<string>("Format"));
        Assert.Equal("3x2x2", r.Output[0].Prop<string>("Shape"));
        Assert.Equal("cat:1 dog:2", r.Output[0].Prop<string>("Balance"));
        Assert.Equal("SafeTensors", r.Output[1].Prop<string>("Format"));
        Assert.Equal("1x2x2", r.Output[1].Prop<string>("Shape"));
        Assert.Equal("0:1 1:0 2:1", r.Output[1].Prop<string>("Balance"));
        Assert.StartsWith("resize 4x4 -> 2x2 bilinear", r.Output[1].Prop<string>("Transforms"));
    }

    [Fact]
    public void Safetensors_errors_have_their_ids()
    {
        var dir = _m.NewTempFolder();
        _m.Run($$"""
            {{Helpers}}
            New-TestSafeTensors -Path (Join-Path '{{dir}}' 'nolabels.safetensors') -Count 2 -Channels 1 -Height 2 -Width 2 -Labels 0, 1 -LabelsName 'targets'
            New-TestSafeTensors -Path (Join-Path '{{dir}}' 'count.safetensors') -Count 2 -Channels 1 -Height 2 -Width 2 -Labels 0, 1, 1
            New-TestSafeTensors -Path (Join-Path '{{dir}}' 'label.safetensors') -Count 2 -Channels 1 -Height 2 -Width 2 -Labels 0, 5 -Classes 'a,b'
            """).AssertSucceeded();
        AssertError($"Import-Dataset '{Path.Combine(dir, "nolabels.safetensors")}'", "DatasetTensorMissing");
        AssertError($"Import-Dataset '{Path.Combine(dir, "count.safetensors")}'", "DatasetCountMismatch");
        AssertError($"Import-Dataset '{Path.Combine(dir, "label.safetensors")}'", "DatasetBadLabel");
        AssertError($"Import-Dataset '{Path.Combine(dir, "count.safetensors")}' -Channels 3", "DatasetBadChannels");
    }

    [Fact]
    public void Resize_applies_to_idx_data_sets_too()
    {
        var mnist = Path.Combine(_m.RepoRoot, "data", "mnist", "val-images-idx3-ubyte.gz");
        var r = _m.Run($"$d = Import-Dataset '{mnist}' -Resize 14 -First 10; {Summary}");
        r.AssertSucceeded();
        Assert.Equal("1x14x14", r.Output.Single().Prop<string>("Shape"));
        Assert.StartsWith("resize 28x28 -> 14x14 bilinear (at import); scale 1/255; normalize", r.Output.Single().Prop<string>("Transforms"));
    }
}

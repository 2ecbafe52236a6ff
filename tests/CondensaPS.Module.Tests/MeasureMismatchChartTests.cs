using System.Management.Automation;
using CondensaPS.Module.Tests.Support;

namespace CondensaPS.Module.Tests;

/// <summary>Measure-Mismatch -ChartPath: the confusion as a heat map (PNG and SVG), with -WhatIf and -Force.</summary>
[Collection(ModuleCollection.Name)]
public class MeasureMismatchChartTests
{
    private readonly ModuleSession _m;
    public MeasureMismatchChartTests(ModuleSession m) => _m = m;

    private string Setup() => $$"""
        $val = Import-Dataset '{{Path.Combine(_m.RepoRoot, "data", "mnist", "val-images-idx3-ubyte.gz")}}' -First 200
        $reference = New-Model lenet5 -Seed 2
        $pruned = $reference | Invoke-Prune -Ratio 0.9
        """;

    [Fact]
    public void ChartPath_writes_a_png_and_an_svg_and_still_returns_the_report()
    {
        var dir = _m.NewTempFolder();
        var png = Path.Combine(dir, "confusion.png");
        var r = _m.Run(Setup() + $"\nMeasure-Mismatch -Compressed $pruned -Data $val -ChartPath '{png}'");
        r.AssertSucceeded();
        Assert.Equal(200, r.Output.Single().Prop<int>("Samples"));
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G' }, File.ReadAllBytes(png)[..4]);
        var svg = File.ReadAllText(Path.Combine(dir, "confusion.svg"));
        Assert.StartsWith("<svg", svg);
        Assert.Contains("reference", svg);

        r = _m.Run(Setup() + $"\nMeasure-Mismatch -Compressed $pruned -Data $val -ChartPath '{png}'");
        var e = r.SingleError();
        Assert.StartsWith("OutputExists", e.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ResourceExists, e.CategoryInfo.Category);

        var before = File.GetLastWriteTimeUtc(png);
        r = _m.Run(Setup() + $"\nMeasure-Mismatch -Compressed $pruned -Data $val -ChartPath '{png}' -Force");
        r.AssertSucceeded();
        Assert.True(File.GetLastWriteTimeUtc(png) >= before);
    }

    [Fact]
    public void WhatIf_measures_but_writes_no_chart()
    {
        var dir = _m.NewTempFolder();
        var r = _m.Run(Setup() + $"\nMeasure-Mismatch -Compressed $pruned -Data $val -ChartPath '{Path.Combine(dir, "c.png")}' -WhatIf");
        r.AssertSucceeded();
        Assert.Single(r.Output);
        Assert.Empty(Directory.GetFiles(dir));
    }
}

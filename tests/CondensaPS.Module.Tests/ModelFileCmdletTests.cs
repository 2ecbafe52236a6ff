using System.Management.Automation;
using CondensaPS.Module.Tests.Support;

namespace CondensaPS.Module.Tests;

/// <summary>Import-Model and Export-Model as a user runs them, on the PyTorch-made fixtures of tests/fixtures.</summary>
[Collection(ModuleCollection.Name)]
public class ModelFileCmdletTests
{
    private const double Tolerance = 1e-5;
    private readonly ModuleSession _m;
    public ModelFileCmdletTests(ModuleSession m) => _m = m;

    /// <summary>A script function comparing a model's output on a fixture's input with PyTorch's output.</summary>
    private const string MaxDiff = """
        function Get-MaxDiff($Model, $Io) {
            $t = [CondensaPS.Engine.Formats.SafeTensorsFile]::Read($Io)
            $y = $Model.Forward($t['input'])
            [double](($y - $t['output']).abs().max().item[float]())
        }

        """;

    private string Fixture(string name) => Path.Combine(_m.RepoRoot, "tests", "fixtures", name);

    private RunResult Run(string script, params (string Name, object? Value)[] variables) =>
        _m.Run(MaxDiff + script, variables.ToDictionary(v => v.Name, v => v.Value));

    [Theory]
    [InlineData("lenet5_scripted.pt", null, "lenet5", "torchscript", false)]
    [InlineData("lenet5_traced.pt", null, "lenet5", "torchscript (traced)", true)]
    [InlineData("bn_cnn_scripted.pt", null, "bn_cnn", "torchscript", false)]
    [InlineData("bn_cnn_traced.pt", null, "bn_cnn", "torchscript (traced)", true)]
    [InlineData("lenet5_state_dict.pt", "lenet5", "lenet5", "lenet5", false)]
    [InlineData("mlp_state_dict.pt", "mlp", "mlp", "mlp", false)]
    [InlineData("lenet5_checkpoint.pth", "lenet5", "lenet5", "lenet5", false)]
    public void Import_Model_reproduces_PyTorchs_outputs(string file, string? architecture, string io, string shownAs, bool traced)
    {
        var r = Run("""
            $p = @{ Path = $file }
            if ($arch) { $p.Architecture = $arch }
            $m = Import-Model @p
            [pscustomobject]@{ Architecture = $m.Architecture; IsTraced = $m.IsTraced; Device = $m.Device; Name = $m.Name; Diff = (Get-MaxDiff $m $io) }
            """, ("file", Fixture(file)), ("arch", architecture), ("io", Fixture(io + ".io.safetensors")));
        r.AssertSucceeded();
        var o = r.Output.Single();
        Assert.Equal(shownAs, o.Prop<string>("Architecture"));
        Assert.Equal(traced, o.Prop<bool>("IsTraced"));
        Assert.Equal("cpu", o.Prop<string>("Device"));
        Assert.Equal(Path.GetFileNameWithoutExtension(file), o.Prop<string>("Name"));
        Assert.InRange(o.Prop<double>("Diff"), 0, Tolerance);
    }

    [Fact]
    public void Checkpoint_unwrapping_is_said_in_verbose_output()
    {
        var r = Run("Import-Model $file -Architecture lenet5 -Verbose 4>&1 | ForEach-Object { \"$_\" }", ("file", Fixture("lenet5_checkpoint.pth")));
        r.AssertSucceeded();
        var lines = r.Output.Select(o => o.ToString()).ToList();
        Assert.Contains(lines, l => l.Contains("checkpoint; reading the weights under its 'state_dict' entry"));
        Assert.Contains(lines, l => l.Contains("'module.' prefix"));
    }

    [Theory]
    [InlineData("lenet5_scripted.pt", null, "TorchScript", null, "lenet5")]
    [InlineData("bn_cnn_traced.pt", null, "TorchScript", null, "bn_cnn")]
    [InlineData("lenet5_scripted.pt", null, "SafeTensors", "lenet5", "lenet5")]
    [InlineData("lenet5_traced.pt", null, "TorchSharp", "lenet5", "lenet5")]
    [InlineData("lenet5_state_dict.pt", "lenet5", "SafeTensors", "lenet5", "lenet5")]
    [InlineData("mlp_state_dict.pt", "mlp", "TorchSharp", "mlp", "mlp")]
    [InlineData("lenet5_checkpoint.pth", "lenet5", "SafeTensors", "lenet5", "lenet5")]
    public void Export_then_Import_reproduces_PyTorchs_outputs_again(string file, string? architecture, string format, string? reimportAs, string io)
    {
        var dir = _m.NewTempFolder();
        var r = Run("""
            $p = @{ Path = $file }
            if ($arch) { $p.Architecture = $arch }
            $m = Import-Model @p
            $out = Join-Path $dir 'exported.model'
            $m | Export-Model -Path $out -Format $format
            $q = @{ Path = $out }
            if ($again) { $q.Architecture = $again }
            $n = Import-Model @q
            [pscustomobject]@{ Diff = (Get-MaxDiff $n $io); Same = ($n.Parameters -eq $m.Parameters) }
            """, ("file", Fixture(file)), ("arch", architecture), ("dir", dir), ("format", format), ("again", reimportAs), ("io", Fixture(io + ".io.safetensors")));
        r.AssertSucceeded();
        Assert.InRange(r.Output.Single().Prop<double>("Diff"), 0, Tolerance);
        Assert.True(r.Output.Single().Prop<bool>("Same"));
        Assert.Equal(new[] { "exported.model" }, Directory.GetFileSystemEntries(dir).Select(Path.GetFileName));
    }

    [Fact]
    public void PassThru_passes_the_model_on_and_WhatIf_writes_nothing()
    {
        var dir = _m.NewTempFolder();
        var r = Run("""
            $m = New-Model lenet5 -Seed 1
            $a = $m | Export-Model -Path (Join-Path $dir 'a.safetensors') -PassThru
            $b = $m | Export-Model -Path (Join-Path $dir 'b.safetensors')
            $m | Export-Model -Path (Join-Path $dir 'c.safetensors') -WhatIf
            [pscustomobject]@{ Same = [object]::ReferenceEquals($a, $m); Nothing = ($null -eq $b) }
            """, ("dir", dir));
        r.AssertSucceeded();
        Assert.True(r.Output.Single().Prop<bool>("Same"));
        Assert.True(r.Output.Single().Prop<bool>("Nothing"));
        Assert.Equal(new[] { "a.safetensors", "b.safetensors" }, Directory.GetFileSystemEntries(dir).Select(Path.GetFileName).Order());
        Assert.Contains("What if", r.HostText);
    }

    [Fact]
    public void SafeTensors_exported_from_a_built_in_model_import_without_Architecture()
    {
        var dir = _m.NewTempFolder();
        var r = Run("""
            $m = New-Model mlp -HiddenSizes 32,16 -NumClasses 5 -InputSize 8 -Seed 2
            $m | Export-Model -Path (Join-Path $dir 'small.safetensors')
            $n = Import-Model (Join-Path $dir 'small.safetensors')
            [pscustomobject]@{ Architecture = $n.Architecture; Parameters = $n.Parameters; Expected = $m.Parameters; Spec = "$($n.Spec)" }
            """, ("dir", dir));
        r.AssertSucceeded();
        var o = r.Output.Single();
        Assert.Equal("mlp", o.Prop<string>("Architecture"));
        Assert.Equal(o.Prop<long>("Expected"), o.Prop<long>("Parameters"));
        Assert.Equal("mlp(1x8x8 -> 32-16 -> 5)", o.Prop<string>("Spec"));
    }

    [Fact]
    public void Existing_output_needs_Force_and_stays_unchanged_without_it()
    {
        var dir = _m.NewTempFolder();
        var path = Path.Combine(dir, "taken.pt");
        File.WriteAllText(path, "keep me");
        var r = Run("New-Model lenet5 | Export-Model -Path $path", ("path", path));
        var e = r.SingleError();
        Assert.Equal("OutputExists,CondensaPS.Cmdlets.ExportModelCommand", e.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ResourceExists, e.CategoryInfo.Category);
        Assert.Equal("keep me", File.ReadAllText(path));
        r = Run("New-Model lenet5 | Export-Model -Path $path -Force; (Import-Model $path -Architecture lenet5).Parameters", ("path", path));
        r.AssertSucceeded();
        Assert.Equal(61706L, LanguagePrimitives.ConvertTo<long>(r.Output.Single().BaseObject));
        Assert.Single(Directory.GetFileSystemEntries(dir));
    }

    [Theory]
    [InlineData("Import-Model -Path /no/such/model.pt -Architecture lenet5", "ModelFileNotFound", ErrorCategory.ObjectNotFound, "/no/such/model.pt")]
    [InlineData("Import-Model -Path (Join-Path $fixtures 'make_fixtures.py') -Architecture lenet5", "UnrecognizedModelFormat", ErrorCategory.InvalidData, "make_fixtures.py")]
    [InlineData("Import-Model -Path (Join-Path $fixtures 'lenet5_state_dict.pt') -Architecture mlp", "StateDictMismatch", ErrorCategory.InvalidData, "'fc1.weight' is [120x400] in the file but [256x784]")]
    [InlineData("Import-Model -Path (Join-Path $fixtures 'lenet5_state_dict.pt') -Architecture vgg99", "UnknownArchitecture", ErrorCategory.InvalidArgument, "vgg99")]
    [InlineData("Import-Model -Path (Join-Path $fixtures 'lenet5_state_dict.pt')", "ArchitectureRequired", ErrorCategory.InvalidArgument, "-Architecture")]
    [InlineData("Import-Model -Path (Join-Path $fixtures 'lenet5_scripted.pt') -Device cuda", "CudaNotInThisBuild", ErrorCategory.NotInstalled, "-p:TorchBackend=cuda")]
    [InlineData("New-Model lenet5 -Device cuda:1", "CudaNotInThisBuild", ErrorCategory.NotInstalled, "dotnet build CondensaPS.sln -p:TorchBackend=cuda")]
    [InlineData("New-Model vgg99", "UnknownArchitecture", ErrorCategory.InvalidArgument, "lenet5, lenet5-caffe, resnet18")]
    [InlineData("New-Model lenet5 | Export-Model -Path /no/such/folder/m.safetensors", "OutputFolderNotFound", ErrorCategory.ObjectNotFound, "/no/such/folder")]
    [InlineData("New-Model lenet5 | Export-Model -Path /proc/condensaps-test.safetensors", "OutputNotWritable", ErrorCategory.WriteError, "/proc/condensaps-test.safetensors")]
    [InlineData("New-Model vgg16_bn -InputSize 28", "InvalidArchitectureSetting", ErrorCategory.InvalidArgument, "at least 32x32")]
    [InlineData("New-Model resnet18 -PoolSize 1", "InvalidArchitectureSetting", ErrorCategory.InvalidArgument, "pool size")]
    public void Bad_input_gets_its_ErrorId_and_category(string script, string errorId, ErrorCategory category, string says)
    {
        var r = Run(script, ("fixtures", Path.Combine(_m.RepoRoot, "tests", "fixtures")));
        var e = r.SingleError();
        Assert.StartsWith(errorId + ",", e.FullyQualifiedErrorId);
        Assert.Equal(category, e.CategoryInfo.Category);
        Assert.Contains(says, e.Exception.Message);
        Assert.Empty(r.Output);
        Assert.False(File.Exists("/tmp/condensaps-x.pt"));
    }

    [Fact]
    public void Truncated_archive_is_refused_and_other_paths_in_the_pipeline_still_load()
    {
        var dir = _m.NewTempFolder();
        var bytes = File.ReadAllBytes(Fixture("lenet5_state_dict.pt"));
        var cut = Path.Combine(dir, "cut.pt");
        File.WriteAllBytes(cut, bytes[..(bytes.Length / 2)]);
        var r = Run("$cut, $good | Import-Model -Architecture lenet5", ("cut", cut), ("good", Fixture("lenet5_state_dict.pt")));
        var e = r.SingleError();
        Assert.StartsWith("TruncatedArchive,", e.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.InvalidData, e.CategoryInfo.Category);
        Assert.Equal("lenet5_state_dict", r.Output.Single().Prop<string>("Name"));
    }

    [PyTorchFact]
    public void PyTorch_reads_what_Export_Model_writes()
    {
        var dir = _m.NewTempFolder();
        var r = Run("""
            Import-Model $scripted | Export-Model -Path (Join-Path $dir 'ours.pt')
            Import-Model $state -Architecture lenet5 | Export-Model -Path (Join-Path $dir 'ours.safetensors')
            """, ("scripted", Fixture("lenet5_scripted.pt")), ("state", Fixture("lenet5_state_dict.pt")), ("dir", dir));
        r.AssertSucceeded();
        var io = Fixture("lenet5.io.safetensors");
        foreach (var args in new[] { new[] { "torchscript", Path.Combine(dir, "ours.pt"), io }, new[] { "safetensors", "lenet5", Path.Combine(dir, "ours.safetensors"), io } })
        {
            var (exitCode, output) = PyTorchScript.Run(Fixture("check_with_pytorch.py"), args);
            Assert.True(exitCode == 0, output);
            Assert.Contains("max abs diff", output);
        }
    }

    [Fact]
    public void Export_Model_writes_TorchScript_for_built_ins_by_default_and_TorchSharp_only_when_asked()
    {
        var dir = _m.NewTempFolder();
        var r = Run("""
            $m = New-Model lenet5 -Seed 3 | Invoke-Prune -Ratio 0.5
            $m | Export-Model -Path (Join-Path $dir 'm.pt')
            $m | Export-Model -Path (Join-Path $dir 'm.pth')
            $m | Export-Model -Path (Join-Path $dir 'asked.pt') -Format TorchSharp
            $m | Export-Model -Path (Join-Path $dir 'own.tsw')
            $back = Import-Model (Join-Path $dir 'm.pt') -Verbose 4>&1
            $n = $back | Where-Object { $_ -is [CondensaPS.Engine.Models.CompressionModel] }
            [pscustomobject]@{
                Formats = @('m.pt', 'm.pth', 'asked.pt', 'own.tsw' | ForEach-Object { "$([CondensaPS.Engine.Formats.ModelFileFormatDetector]::Detect((Join-Path $dir $_)))" })
                Architecture = $n.Architecture; Sparsity = $n.Sparsity; Expected = $m.Sparsity; History = $n.History.Count
                Said = @($back | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object { "$_" }) -join "`n"
            }
            """, ("dir", dir));
        r.AssertSucceeded();
        var o = r.Output.Single();
        Assert.Equal(new[] { "TorchScript", "TorchScript", "TorchSharp", "TorchSharp" }, o.Prop<object[]>("Formats").Select(f => f.ToString()));
        Assert.Equal("lenet5", o.Prop<string>("Architecture"));
        Assert.Equal(o.Prop<double>("Expected"), o.Prop<double>("Sparsity"));
        Assert.Equal(1, o.Prop<int>("History"));
        Assert.Contains("exported by CondensaPS from a built-in lenet5", o.Prop<string>("Said"));
    }

    [Theory]
    [InlineData("New-Model vgg16_bn -InputSize 32 -PoolSize 1 -HiddenSizes 64,32 -NumClasses 10", "vgg16_bn", 14758378L)]
    [InlineData("New-Model mobilenet_v2 -InputSize 32 -NumClasses 10", "mobilenet_v2", 2236682L)]
    public void New_Model_makes_torchvisions_architectures(string script, string architecture, long torchvisionParameters)
    {
        var r = Run(script + " -Seed 1 | ForEach-Object { [pscustomobject]@{ Architecture = $_.Architecture; Parameters = $_.Parameters; Classes = $_.Forward([TorchSharp.torch]::zeros(2, 3, 32, 32)).shape[1] } }");
        r.AssertSucceeded();
        var o = r.Output.Single();
        Assert.Equal(architecture, o.Prop<string>("Architecture"));
        Assert.Equal(torchvisionParameters, o.Prop<long>("Parameters")); // torchvision's count for the same settings
        Assert.Equal(10L, o.Prop<long>("Classes"));
    }

    [PyTorchFact]
    public void PyTorch_loads_a_built_in_model_exported_to_pt()
    {
        var dir = _m.NewTempFolder();
        var r = Run("""
            $m = New-Model resnet18 -InputSize 32 -NumClasses 10 -Seed 4
            $m | Export-Model -Path (Join-Path $dir 'r18.pt')
            $x = [TorchSharp.torch]::randn(2, 3, 32, 32)
            [CondensaPS.Engine.Formats.SafeTensorsFile]::Write((Join-Path $dir 'io.safetensors'), [System.ValueTuple[string, TorchSharp.torch+Tensor][]]@(
                [System.ValueTuple[string, TorchSharp.torch+Tensor]]::new('input', $x), [System.ValueTuple[string, TorchSharp.torch+Tensor]]::new('output', $m.Forward($x))), $null)
            """, ("dir", dir));
        r.AssertSucceeded();
        var (exitCode, output) = PyTorchScript.Run(Fixture("check_builtin_with_pytorch.py"), "torchscript", Path.Combine(dir, "r18.pt"), Path.Combine(dir, "io.safetensors"));
        Assert.True(exitCode == 0, output);
        Assert.Contains("batch norms 20, updated in train mode 20", output);
    }
}

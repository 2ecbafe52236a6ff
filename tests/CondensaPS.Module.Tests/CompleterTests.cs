using CondensaPS.Module.Tests.Support;

namespace CondensaPS.Module.Tests;

/// <summary>Argument completers offer the layers of the model the command will get, from a bound value or from the
/// pipeline before it, as PowerShell's own completers look at the pipeline (TabExpansion2, as a console's Tab does).</summary>
[Collection(ModuleCollection.Name)]
public class CompleterTests
{
    private readonly ModuleSession _m;
    public CompleterTests(ModuleSession m) => _m = m;

    private List<string> Complete(string input)
    {
        var r = _m.Run("$completerLeNet = New-Model lenet5 -Seed 1\n(TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText",
            new Dictionary<string, object?> { ["line"] = input });
        r.AssertSucceeded();
        return r.Output.Select(o => o.ToString()).ToList();
    }

    [Theory]
    [InlineData("$completerLeNet | Get-ModelLayer -Name ")]
    [InlineData("$completerLeNet | Invoke-Prune -Ratio 0.5 | Invoke-Quantize -Type Int8 -Exclude ")]
    [InlineData("Get-ModelLayer -InputObject $completerLeNet -Name ")]
    [InlineData("New-Model lenet5 -Seed 3 | Invoke-Prune -Ratio 0.5 -Include ")]
    [InlineData("New-Model -Seed 3 -Architecture LeNet5 | Get-ModelLayer -Name ")]
    [InlineData("Import-Model weights.safetensors -Architecture lenet5 | Invoke-Prune -Ratio 0.5 -Exclude ")]
    public void A_LeNet_in_the_pipeline_gets_LeNet_layer_names(string input)
    {
        var offered = Complete(input);
        Assert.Equal(new[] { "conv1.*", "conv2.*", "fc1.*", "fc2.*", "fc3.*" }, offered);
    }

    [Fact]
    public void A_ResNet_gets_ResNet_names_and_the_typed_prefix_narrows_them()
    {
        var offered = Complete("New-Model resnet18 | Invoke-Prune -Ratio 0.5 -Exclude layer4.1");
        Assert.Equal(new[] { "layer4.1.conv1.*", "layer4.1.conv2.*" }, offered);
    }

    [Fact]
    public void Without_a_known_model_the_usual_names_of_the_built_ins_are_offered()
    {
        var offered = Complete("Import-Model some.pt | Invoke-Prune -Ratio 0.5 -Include ");
        Assert.Contains("conv1.*", offered);
        Assert.Contains("layer4.*", offered);
    }
}

using CondensaPS.Engine.Tests.Operators;

namespace CondensaPS.Engine.Tests;

public class ModelFiguresTests
{
    [Fact]
    public void Float16_halves_the_size_of_floating_parameters_and_buffers_but_not_integer_buffers()
    {
        using var model = OperatorTestModels.TinyTorchScript();
        long floatElements = model.NamedParameters().Sum(p => p.Tensor.numel())
            + model.NamedBuffers().Where(b => b.Tensor.is_floating_point()).Sum(b => b.Tensor.numel());
        long integerBytes = model.NamedBuffers().Where(b => !b.Tensor.is_floating_point()).Sum(b => b.Tensor.numel() * 8);
        Assert.Equal(floatElements * 4 + integerBytes, model.SizeBytes);
        using var half = OperatorTestModels.Run("quantize", model, ("type", "float16"));
        Assert.Equal("float16", half.DType);
        Assert.Equal(floatElements * 2 + integerBytes, half.SizeBytes);
        Assert.Equal(model.DenseBytes, half.DenseBytes);
    }

    [Fact]
    public void Sparsity_and_non_zeros_follow_the_weights()
    {
        using var model = OperatorTestModels.LeNet();
        Assert.Equal(model.Parameters, model.NonZeros);
        using var pruned = OperatorTestModels.Run("prune", model, ("ratio", 0.5));
        long weights = OperatorTestModels.Weights(pruned).Sum(w => w.Tensor.numel());
        long zeros = OperatorTestModels.Weights(pruned).Sum(w => OperatorTestModels.Zeros(w.Tensor));
        Assert.Equal((long)Math.Round(weights * 0.5, MidpointRounding.ToEven), zeros);
        Assert.Equal(pruned.Parameters - zeros, pruned.NonZeros);
        Assert.Equal((double)zeros / pruned.Parameters, pruned.Sparsity, 12);
    }
}

public class ModelComparisonTests
{
    [Fact]
    public void Identical_models_compare_equal_and_any_change_is_named()
    {
        using var a = Operators.OperatorTestModels.LeNet(seed: 3);
        using var b = a.Clone();
        Assert.True(Models.ModelComparison.Identical(a, b));
        using (TorchSharp.torch.no_grad()) b.Parameter("fc2.bias")[0].add_(1e-6f);
        Assert.Equal(new[] { "fc2.bias" }, Models.ModelComparison.Differences(a, b));
        using var pruned = Operators.OperatorTestModels.Run("prune", a, ("ratio", 0.3));
        Assert.Contains(Models.ModelComparison.Differences(a, pruned), d => d.StartsWith("mask "));
    }
}

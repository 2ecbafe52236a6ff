using TorchSharp.Modules;

namespace CondensaPS.Engine.Training;

/// <summary>Gradients between training steps.</summary>
internal static class Gradients
{
    /// <summary>
    /// Drops every parameter's gradient (PyTorch's <c>zero_grad(set_to_none=True)</c>): the next backward pass then
    /// stores its gradients instead of adding them to zeros, which saves a fill and an addition per parameter, and
    /// their memory is free for the next forward pass meanwhile. Optimizers skip a parameter without a gradient.
    /// </summary>
    public static void Clear(IEnumerable<Parameter> parameters)
    {
        foreach (var p in parameters) p.grad = null!;
    }
}

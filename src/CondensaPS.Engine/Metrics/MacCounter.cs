using CondensaPS.Engine.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Metrics;

/// <summary>
/// Multiply-accumulates of one forward pass per sample through a built-in model's convolution and linear layers,
/// counted by running one sample with forward hooks: each layer costs (its output elements) x (its weight's elements
/// per output channel), which counts a convolution's groups, strides and padding as they happened. Dense MACs: a
/// pruned weight is counted (CPU kernels compute it). TorchScript models run their layers inside libtorch, where no
/// hook of ours fires, so they report none.
/// </summary>
internal static class MacCounter
{
    public static long? PerSample(CompressionModel model, long[] sampleShape)
    {
        if (model.IsTorchScript) return null;
        long macs = 0;
        var removers = new List<Action>();
        Tensor Count(Tensor output, Tensor weight)
        {
            macs += output.numel() / output.shape[0] * (weight.numel() / weight.shape[0]);
            return output;
        }
        foreach (var (_, module) in model.Module.named_modules())
        {
            if (module is Conv2d conv) removers.Add(conv.register_forward_hook((_, _, output) => Count(output, conv.weight!)).remove);
            else if (module is Linear linear) removers.Add(linear.register_forward_hook((_, _, output) => Count(output, linear.weight!)).remove);
        }
        bool wasTraining = model.Module.training;
        try
        {
            model.Module.eval();
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            model.Forward(zeros(new long[] { 1 }.Concat(sampleShape).ToArray(), device: model.TorchDevice));
            return macs;
        }
        finally
        {
            foreach (var remove in removers) remove();
            if (wasTraining) model.Module.train();
        }
    }
}

using CondensaPS.Engine.Models;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Formats;

/// <summary>
/// Copies a state dict (name -> tensor) into a model's parameters and buffers, after checking that every name and
/// shape fits; a mismatch lists the first few problems and changes nothing.
/// </summary>
public static class StateDictFitter
{
    private const int MaxListed = 8;

    public static void Fit(CompressionModel model, IReadOnlyDictionary<string, Tensor> state, string source)
    {
        var targets = model.NamedParameters().Concat(model.NamedBuffers()).ToDictionary(p => p.Name, p => p.Tensor, StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var (name, target) in targets)
        {
            if (!state.TryGetValue(name, out var source1))
            {
                // torchvision checkpoints made before num_batches_tracked existed lack it; it is only a counter.
                if (!name.EndsWith("num_batches_tracked", StringComparison.Ordinal)) problems.Add($"missing '{name}' ({Shape(target)})");
            }
            else if (!source1.shape.SequenceEqual(target.shape))
                problems.Add($"'{name}' is {Shape(source1)} in the file but {Shape(target)} in {model.Architecture}");
        }
        foreach (var name in state.Keys.Where(k => !targets.ContainsKey(k)))
            problems.Add($"unexpected '{name}' ({Shape(state[name])})");
        if (problems.Count > 0)
            throw new EngineException("StateDictMismatch", EngineErrorKind.InvalidData,
                $"The weights in '{source}' do not fit architecture {model.Spec?.ToString() ?? model.Architecture}: {problems.Count} problem(s); first: "
                + string.Join("; ", problems.Take(MaxListed)) + (problems.Count > MaxListed ? "; ..." : "."), source);
        using var _ = no_grad();
        foreach (var (name, target) in targets)
            if (state.TryGetValue(name, out var value))
                target.copy_(value.to(target.dtype).to(target.device));
    }

    private static string Shape(Tensor t) => "[" + string.Join("x", t.shape) + "]";
}

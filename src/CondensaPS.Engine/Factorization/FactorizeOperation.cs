using CondensaPS.Engine.Architectures;
using CondensaPS.Engine.Models;
using CondensaPS.Engine.Operations;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Factorization;

/// <summary>
/// The "factorize" step (low-rank factorisation): replaces each selected linear layer of a built-in model by two
/// thinner ones (truncated SVD) and each selected convolution by a triple (Tucker-2) or a pair (SVD), physically: the
/// output model's architecture records the ranks, its module has the thinner layers, and they are exported, stored
/// and rebuilt as such. The rank is given, or the smallest that keeps an energy share of the squared singular values.
/// Other parameters, masks and quantization records are carried over; a factorized layer's mask or quantization is
/// dropped (its weights are new), with a warning. TorchScript models are not factorized yet: their code calls each
/// layer with its own weight, and a layer that becomes two needs new code.
/// </summary>
public sealed class FactorizeOperation : ICompressionOperation
{
    public string StepName => "factorize";

    public IReadOnlyCollection<string> SettingKeys => FactorizeOptions.Keys;

    public void Validate(StepSettings settings) => FactorizeOptions.From(settings);

    public OperationResult Apply(CompressionModel input, StepSettings settings, OperationInputs inputs, OperationContext context)
    {
        var options = FactorizeOptions.From(settings);
        if (input.IsTorchScript || input.Spec is null)
            throw new EngineException("FactorizeNeedsBuiltIn", EngineErrorKind.NotSupported,
                $"Model '{input.Name}' is TorchScript; low-rank factorisation replaces layers of built-in architectures only (a TorchScript model's code would have to change).", input.Name);
        var spec = input.Spec;
        var candidates = ArchitectureRegistry.FactorizableLayers(spec)
            .Where(layer => spec.FactorizationOf(layer) is null)
            .Select(layer => (Layer: layer, Weight: input.Parameter(layer + ".weight")))
            .Where(c => options.Selector.Matches(c.Layer + ".weight"))
            .ToList();
        if (candidates.Count == 0)
            throw new EngineException("NothingToFactorize", EngineErrorKind.InvalidArgument,
                $"No layer of model '{input.Name}' can be factorized{(options.Include.Count + options.Exclude.Count > 0 ? " after include/exclude" : "")}; layers not yet factorized: " +
                string.Join(", ", ArchitectureRegistry.FactorizableLayers(spec).Where(l => spec.FactorizationOf(l) is null)) + ".", input.Name);

        var plan = new List<LayerFactorization>();
        foreach (var (layer, weight) in candidates)
            plan.Add(Plan(layer, weight, options, settings.Step));
        var newSpec = spec with { Factorizations = spec.Factorizations.Concat(plan).ToList() };

        var output = CompressionModel.FromBuiltIn(ArchitectureRegistry.Build(newSpec), newSpec, input.Name, input.Source, input.TorchDevice);
        try
        {
            output.Reference = input.Reference ?? input;
            foreach (var step in input.History) output.AppendHistory(step);
            var results = Fill(input, output, plan, context);
            return new OperationResult(output, results);
        }
        catch
        {
            output.Dispose();
            throw;
        }
    }

    private static LayerFactorization Plan(string layer, Tensor weight, FactorizeOptions options, string step)
    {
        var kind = weight.dim() == 2 || options.Method == ConvolutionFactorization.Svd || (weight.shape[2] == 1 && weight.shape[3] == 1)
            ? FactorizationKind.Svd : FactorizationKind.Tucker2;
        var (maxRank, maxOutputRank) = LowRankFactors.MaxRanks(weight, kind);
        if (options.Rank is int rank)
        {
            int limit = kind == FactorizationKind.Tucker2 ? Math.Min(maxRank, maxOutputRank) : maxRank;
            if (rank > limit)
                throw new StepSettingException(step, FactorizeOptions.Key.Rank,
                    $"{rank} is above the largest rank of '{layer}.weight' [{string.Join("x", weight.shape)}] by {(kind == FactorizationKind.Tucker2 ? "Tucker-2" : "SVD")}, {limit}.", (long)rank);
            return new LayerFactorization(layer, kind, rank, kind == FactorizationKind.Tucker2 ? rank : 0);
        }
        double energy = options.Energy!.Value;
        return kind == FactorizationKind.Svd
            ? new LayerFactorization(layer, kind, LowRankFactors.RankFor(LowRankFactors.SingularValues(weight, 0), energy))
            : new LayerFactorization(layer, kind,
                LowRankFactors.RankFor(LowRankFactors.SingularValues(weight, 1), energy),
                LowRankFactors.RankFor(LowRankFactors.SingularValues(weight, 0), energy));
    }

    /// <summary>Copies every unchanged parameter, buffer, mask and record, and writes the factors into the new layers.</summary>
    private static IReadOnlyDictionary<string, object?> Fill(CompressionModel input, CompressionModel output, List<LayerFactorization> plan, OperationContext context)
    {
        var target = output.NamedParameters().Concat(output.NamedBuffers()).ToDictionary(t => t.Name, t => t.Tensor);
        var layers = new List<object?>();
        using (no_grad())
        {
            foreach (var (name, tensor) in input.NamedParameters().Concat(input.NamedBuffers()))
            {
                if (target.TryGetValue(name, out var t)) t.copy_(tensor);
                if (input.Masks.TryGetValue(name, out var mask) && target.ContainsKey(name)) output.Masks[name] = mask.detach().clone();
                if (input.Quantization.TryGetValue(name, out var q) && target.ContainsKey(name)) output.Quantization[name] = q.Clone();
            }
            foreach (var f in plan)
            {
                context.ThrowIfCancelled();
                var weight = input.Parameter(f.Layer + ".weight");
                using var factors = LowRankFactors.Compute(weight, f);
                for (int i = 0; i < factors.Weights.Count; i++) target[$"{f.Layer}.{i}.weight"].copy_(factors.Weights[i]);
                int last = factors.Weights.Count - 1;
                if (input.NamedParameters().Any(p => p.Name == f.Layer + ".bias")) target[$"{f.Layer}.{last}.bias"].copy_(input.Parameter(f.Layer + ".bias"));
                var dropped = new[] { f.Layer + ".weight", f.Layer + ".bias" }.Where(n => input.Masks.ContainsKey(n) || input.Quantization.ContainsKey(n)).ToList();
                if (dropped.Count > 0) context.Warn($"Factorizing '{f.Layer}' drops the mask or quantization of {string.Join(", ", dropped)}: its weights are new.");
                long before = weight.numel(), after = factors.Weights.Sum(w => w.numel());
                context.Log($"Factorized '{f.Layer}' [{string.Join("x", weight.shape)}] by {f.RankText}: {before:N0} weights become {after:N0}, keeping {factors.Energy:P2} of the energy.");
                var record = new OrderedSettings();
                record.Add("layer", f.Layer);
                record.Add("kind", f.Kind == FactorizationKind.Tucker2 ? "tucker2" : "svd");
                record.Add("ranks", f.Kind == FactorizationKind.Tucker2 ? new List<object?> { (long)f.Rank, (long)f.OutputRank } : new List<object?> { (long)f.Rank });
                record.Add("weights-before", before);
                record.Add("weights-after", after);
                record.Add("energy", factors.Energy);
                layers.Add(record);
            }
        }
        var results = new OrderedSettings();
        results.Add("layers", layers);
        results.Add("parameters-before", input.Parameters);
        results.Add("parameters-after", output.Parameters);
        return results;
    }
}

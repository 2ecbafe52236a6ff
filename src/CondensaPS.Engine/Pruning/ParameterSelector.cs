using System.Text.RegularExpressions;
using CondensaPS.Engine.Models;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Pruning;

/// <summary>
/// Which parameters a step touches. By default the weights of convolution and linear layers: a floating parameter of
/// rank 2 or 4 whose name ends in "weight" (this rule holds for built-in and TorchScript models alike); biases and
/// normalisation layers (rank 1) are never selected. Include and exclude narrow that set with wildcard patterns
/// over parameter names ('*' any run of characters, '?' one character, case-insensitive).
/// </summary>
public sealed class ParameterSelector
{
    private readonly IReadOnlyList<(string Pattern, Regex Regex)> _include;
    private readonly IReadOnlyList<(string Pattern, Regex Regex)> _exclude;

    public ParameterSelector(IEnumerable<string>? include = null, IEnumerable<string>? exclude = null)
    {
        _include = (include ?? Array.Empty<string>()).Select(p => (p, Wildcard(p))).ToList();
        _exclude = (exclude ?? Array.Empty<string>()).Select(p => (p, Wildcard(p))).ToList();
    }

    /// <summary>A convolution (rank 4) or linear (rank 2) weight.</summary>
    public static bool IsCompressibleWeight(string name, Tensor tensor) =>
        tensor.is_floating_point() && (tensor.dim() == 2 || tensor.dim() == 4) &&
        name.EndsWith("weight", StringComparison.Ordinal);

    /// <summary>The selected compressible weights, in the model's parameter order.</summary>
    public IReadOnlyList<(string Name, Tensor Tensor)> SelectWeights(CompressionModel model) =>
        Filter(model.NamedParameters().Where(p => IsCompressibleWeight(p.Name, p.Tensor))).ToList();

    /// <summary>Applies include/exclude to any named tensors.</summary>
    public IEnumerable<(string Name, Tensor Tensor)> Filter(IEnumerable<(string Name, Tensor Tensor)> candidates) =>
        candidates.Where(c => Matches(c.Name));

    public bool Matches(string name) =>
        (_include.Count == 0 || _include.Any(i => i.Regex.IsMatch(name))) && !_exclude.Any(e => e.Regex.IsMatch(name));

    /// <summary>Patterns that matched none of the given names (a likely typo, worth a warning).</summary>
    public IEnumerable<string> UnmatchedPatterns(IReadOnlyCollection<string> names) =>
        _include.Concat(_exclude).Where(p => !names.Any(n => p.Regex.IsMatch(n))).Select(p => p.Pattern);

    public static Regex Wildcard(string pattern) =>
        new("^" + Regex.Escape(pattern).Replace(@"\*", ".*").Replace(@"\?", ".") + "$",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
}

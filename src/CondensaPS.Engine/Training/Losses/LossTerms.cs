namespace CondensaPS.Engine.Training.Losses;

/// <summary>
/// Parses a loss setting into terms: "cross-entropy", "label-preserving" (the measured default combination, see
/// <see cref="LabelPreservingTerms"/>), or a comma list of term names.
/// </summary>
public static class LossTerms
{
    public static readonly IReadOnlyList<string> Names = new[] { "cross-entropy", "distillation", "teacher-label", "logit-mse", "margin" };

    /// <summary>The terms "label-preserving" stands for.</summary>
    public static readonly IReadOnlyList<string> LabelPreservingTerms = new[] { "cross-entropy", "distillation", "teacher-label" };

    /// <summary>The default weights of "label-preserving" (same order), the best setting measured on the MNIST demo.</summary>
    public static readonly IReadOnlyList<double> LabelPreservingWeights = new[] { 0.5, 1.5, 1.5 };

    public static IReadOnlyList<string> Expand(IEnumerable<string> items)
    {
        var names = new List<string>();
        foreach (var raw in items)
        {
            var item = raw.Trim().ToLowerInvariant().Replace("_", "-");
            if (item is "label-preserving" or "labelpreserving") names.AddRange(LabelPreservingTerms);
            else if (item is "crossentropy" or "ce") names.Add("cross-entropy");
            else if (item is "kd" or "kl") names.Add("distillation");
            else if (item is "teacherlabel") names.Add("teacher-label");
            else if (item is "mse" or "logitmse") names.Add("logit-mse");
            else if (Names.Contains(item)) names.Add(item);
            else throw new ArgumentException($"'{raw}' is not a loss term; terms: {string.Join(", ", Names)}, or label-preserving.");
        }
        if (names.Count == 0) throw new ArgumentException("no loss term given.");
        var dup = names.GroupBy(n => n).FirstOrDefault(g => g.Count() > 1);
        if (dup != null) throw new ArgumentException($"loss term '{dup.Key}' is given twice.");
        return names;
    }

    public static ILossTerm Create(string name, double temperature, double margin = 1.0) => name switch
    {
        "cross-entropy" => new CrossEntropyTerm(),
        "distillation" => new DistillationTerm(temperature),
        "teacher-label" => new TeacherLabelTerm(),
        "logit-mse" => new LogitMseTerm(),
        "margin" => new MarginTerm(margin),
        _ => throw new ArgumentException($"'{name}' is not a loss term."),
    };
}

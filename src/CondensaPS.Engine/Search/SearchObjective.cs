using CondensaPS.Engine.Operations;

namespace CondensaPS.Engine.Search;

/// <summary>What the search optimises inside the feasible range, as Measure-Model measures it.</summary>
public enum ObjectiveMetric
{
    /// <summary>Bytes of the model in the compact format (.cpz): smaller is better.</summary>
    CompactBytes,
    /// <summary>Bytes of the TorchScript file Export-Model writes: smaller is better.</summary>
    TorchScriptBytes,
    /// <summary>Multiply-accumulates of one inference sample: fewer is better.</summary>
    Macs,
    /// <summary>Inference samples per second: larger is better.</summary>
    Throughput,
    /// <summary>Median inference latency of one batch, in milliseconds: smaller is better.</summary>
    Latency,
}

/// <summary>The objective and its direction.</summary>
public sealed record SearchObjective(ObjectiveMetric Metric)
{
    public string Key => KeyOf(Metric);

    public bool Maximize => Metric == ObjectiveMetric.Throughput;

    /// <summary>The value the search maximises: the metric itself, or its negative for metrics where smaller is better.</summary>
    public double Score(double value) => Maximize ? value : -value;

    public static string KeyOf(ObjectiveMetric metric) => metric == ObjectiveMetric.TorchScriptBytes ? "torchscript-bytes" : StepSettings.ToKebab(metric.ToString());

    public static ObjectiveMetric? Parse(string text)
    {
        var plain = text.Replace("-", "").Replace("_", "");
        foreach (var name in Enum.GetNames<ObjectiveMetric>())
            if (string.Equals(name, plain, StringComparison.OrdinalIgnoreCase)) return Enum.Parse<ObjectiveMetric>(name);
        return null;
    }

    public static IEnumerable<string> Keys => Enum.GetValues<ObjectiveMetric>().Select(KeyOf);

    public override string ToString() => (Maximize ? "maximize " : "minimize ") + Key;
}

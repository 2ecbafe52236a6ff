using System.Collections;
using System.Globalization;
using System.Management.Automation;
using CondensaPS.Engine.LongTail;

namespace CondensaPS.Infrastructure;

/// <summary>
/// Binds -Score and -ExampleScores: a memorisation result (Measure-Memorization's object), the path of its file
/// (memorization.json, or the run's folder), or plain numbers, one per sample (any score: a class frequency, a loss).
/// Strings that read as numbers count as numbers (Import-Csv gives strings); $null is a missing score.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ExampleScoresTransformationAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        var value = inputData is PSObject p ? p.BaseObject : inputData;
        switch (value)
        {
            case null: return null;
            case ExampleScores scores: return scores;
            case MemorizationResult result: return ExampleScores.FromResult(result);
            case string path when !double.TryParse(path, NumberStyles.Float, CultureInfo.InvariantCulture, out _):
                return FromPath(engineIntrinsics.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path));
            case FileSystemInfo file: return FromPath(file.FullName);
            case IEnumerable items:
                var numbers = new List<double>();
                foreach (var item in items) numbers.Add(Number(item));
                return ExampleScores.FromValues(numbers);
            default:
                return ExampleScores.FromValues(new[] { Number(value) });
        }
    }

    private static ExampleScores FromPath(string path)
    {
        if (Directory.Exists(path)) path = Path.Combine(path, MemorizationFile.FileName);
        try { return ExampleScores.FromFile(path); }
        catch (Engine.EngineException e) { throw new ArgumentTransformationMetadataException(e.Message, e); }
    }

    private static double Number(object? item) => (item is PSObject p ? p.BaseObject : item) switch
    {
        null => double.NaN,
        double d => d,
        float f => f,
        int i => i,
        long l => l,
        decimal m => (double)m,
        short s => s,
        byte b => b,
        string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
        var other => throw new ArgumentTransformationMetadataException(
            $"A score must be a number, not '{other}' ({other.GetType().Name}); give numbers, a memorisation result or the path of its file."),
    };
}

using System.Collections;

namespace CondensaPS.Host.Commands;

/// <summary>What <c>condensa strategy.yaml ...</c> was asked to do; paths are full paths.</summary>
public sealed record StrategyArguments(
    string Strategy,
    string Model,
    string? Architecture,
    Hashtable Parameters,
    IReadOnlyList<string> Data,
    IReadOnlyList<string> ValidationData,
    string? Output,
    bool Force)
{
    public const string Usage = "condensa <strategy.yaml> --model <file> [--architecture <name>] [--set name=value]... [--data <path>]... [--validation-data <path>]... [--output <file> [--force]]";

    public static StrategyArguments Parse(string strategy, IReadOnlyList<string> arguments)
    {
        string? model = null, architecture = null, output = null;
        bool force = false;
        var parameters = new Hashtable(StringComparer.Ordinal);
        var data = new List<string>();
        var validation = new List<string>();
        var reader = new ArgumentReader(arguments);
        while (reader.MoveNext())
        {
            switch (reader.Current)
            {
                case "--model" or "-m": model = Full(reader.Value()); break;
                case "--architecture" or "-a": architecture = reader.Value(); break;
                case "--output" or "-o": output = Full(reader.Value()); break;
                case "--force": force = true; break;
                case "--set":
                    var (name, value) = reader.Pair();
                    parameters[name] = value;
                    break;
                case "--data": data.Add(Full(reader.Value())); break;
                case "--validation-data": validation.Add(Full(reader.Value())); break;
                default: throw new UsageException($"unknown option '{reader.Current}' for a strategy.");
            }
        }
        if (model is null) throw new UsageException("a strategy needs the model to compress: --model <file>.");
        return new StrategyArguments(Full(strategy), model, architecture, parameters, data, validation, output, force);
    }

    private static string Full(string path) => Path.GetFullPath(path);
}

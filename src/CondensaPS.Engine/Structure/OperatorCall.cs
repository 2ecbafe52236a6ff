using CondensaPS.Engine.Formats.Pickle;
using CondensaPS.Engine.Structure.Script;

namespace CondensaPS.Engine.Structure;

/// <summary>The arguments of one operator call, by position or keyword, with the expressions they came from.</summary>
internal sealed class OperatorCall
{
    private static readonly object Missing = new();

    public OperatorCall(List<object?> args, Dictionary<string, object?> keywords, IReadOnlyList<ScriptExpr> expressions, SourceSpan span,
        IReadOnlyDictionary<string, ScriptExpr>? keywordExpressions = null)
    {
        Args = args;
        Keywords = keywords;
        Expressions = expressions;
        Span = span;
        KeywordExpressions = keywordExpressions ?? new Dictionary<string, ScriptExpr>();
    }

    public List<object?> Args { get; }
    public Dictionary<string, object?> Keywords { get; }
    public IReadOnlyList<ScriptExpr> Expressions { get; }
    public IReadOnlyDictionary<string, ScriptExpr> KeywordExpressions { get; }
    public SourceSpan Span { get; }
    public string Operator { get; set; } = "";

    public bool Has(int index, string name) => index < Args.Count || Keywords.ContainsKey(name);

    public object? Arg(int index, string name)
    {
        var v = Find(index, name);
        return ReferenceEquals(v, Missing) ? throw Error($"needs its argument '{name}'") : v;
    }

    public object? Arg(int index, string name, object? fallback)
    {
        var v = Find(index, name);
        return ReferenceEquals(v, Missing) ? fallback : v;
    }

    private object? Find(int index, string name)
    {
        if (index < Args.Count) return Args[index];
        return Keywords.TryGetValue(name, out var v) ? v : Missing;
    }

    /// <summary>The expression an argument was written as (by position or keyword), or null when it was not given.</summary>
    public ScriptExpr? Expression(int index, string name)
    {
        if (index < Args.Count && index < Expressions.Count) return Expressions[index];
        return KeywordExpressions.TryGetValue(name, out var e) ? e : null;
    }

    public AbstractTensor Tensor(int index, string name) => Arg(index, name) as AbstractTensor
        ?? throw Error($"expects a tensor as '{name}', got a {ScriptInterpreter.TypeName(Arg(index, name))}");

    public AbstractTensor? OptionalTensor(int index, string name) => Arg(index, name, null) switch
    {
        null => null,
        AbstractTensor t => t,
        var v => throw Error($"expects a tensor or None as '{name}', got a {ScriptInterpreter.TypeName(v)}"),
    };

    public long Int(int index, string name) => Arg(index, name) switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        AbstractTensor { Scalar: long l } => l,
        var v => throw Error($"expects an integer as '{name}', got a {ScriptInterpreter.TypeName(v)}"),
    };

    public long Int(int index, string name, long fallback) => Has(index, name) && Arg(index, name) is not null ? Int(index, name) : fallback;

    public bool Bool(int index, string name, bool fallback) => Arg(index, name, fallback) switch
    {
        bool b => b,
        long l => l != 0,
        null => fallback,
        var v => throw Error($"expects a bool as '{name}', got a {ScriptInterpreter.TypeName(v)}"),
    };

    /// <summary>An int list argument (an int is repeated <paramref name="count"/> times); null when absent or None.</summary>
    public long[]? Ints(int index, string name, int count)
    {
        var v = Arg(index, name, null);
        switch (v)
        {
            case null: return null;
            case long l: return Enumerable.Repeat(l, count).ToArray();
            case List<object?> list when list.All(i => i is long):
                return list.Count == 1 && count > 1 ? Enumerable.Repeat((long)list[0]!, count).ToArray() : list.Select(i => (long)i!).ToArray();
            case PyTuple t when t.Items.All(i => i is long):
                return t.Items.Select(i => (long)i!).ToArray();
        }
        throw Error($"expects a list of integers as '{name}', got a {ScriptInterpreter.TypeName(v)}");
    }

    public StructureNotUnderstoodException Error(string detail) => new(Operator, Span, detail);
}

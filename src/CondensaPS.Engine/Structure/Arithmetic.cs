using System.Globalization;
using CondensaPS.Engine.Formats.Pickle;
using CondensaPS.Engine.Structure.Script;

namespace CondensaPS.Engine.Structure;

/// <summary>Python's arithmetic and comparisons on the interpreter's plain values (int, float, bool, str, None, lists).</summary>
internal static class Arithmetic
{
    public static object? Apply(string op, object? a, object? b, SourceSpan where)
    {
        switch (op)
        {
            case "==": return ValueEquals(a, b);
            case "!=": return !ValueEquals(a, b);
            case "<": return Compare(a, b, where) < 0;
            case ">": return Compare(a, b, where) > 0;
            case "<=": return Compare(a, b, where) <= 0;
            case ">=": return Compare(a, b, where) >= 0;
        }
        if (op == "+" && a is List<object?> la && b is List<object?> lb) return la.Concat(lb).ToList();
        if (op == "+" && a is string sa && b is string sb) return sa + sb;
        if (op == "+" && a is PyTuple ta && b is PyTuple tb) return new PyTuple(ta.Items.Concat(tb.Items).ToArray());
        if (op == "*" && a is List<object?> lm && b is long times) return Enumerable.Repeat(lm, (int)Math.Max(0, times)).SelectMany(x => x).ToList();
        if (IsInteger(a) && IsInteger(b))
        {
            long x = ToLong(a, where), y = ToLong(b, where);
            switch (op)
            {
                case "+": return x + y;
                case "-": return x - y;
                case "*": return x * y;
                case "/": return y == 0 ? throw Zero(where) : (double)x / y;
                case "//": return y == 0 ? throw Zero(where) : FloorDiv(x, y);
                case "%": return y == 0 ? throw Zero(where) : x - FloorDiv(x, y) * y;
                case "**": return y >= 0 ? (long)Math.Pow(x, y) : Math.Pow(x, y);
                case "&": return x & y;
                case "|": return x | y;
                case "^": return x ^ y;
                case "<<": return x << (int)y;
                case ">>": return x >> (int)y;
            }
        }
        if (IsNumber(a) && IsNumber(b))
        {
            double x = ToDouble(a, where), y = ToDouble(b, where);
            switch (op)
            {
                case "+": return x + y;
                case "-": return x - y;
                case "*": return x * y;
                case "/": return y == 0 ? throw Zero(where) : x / y;
                case "//": return y == 0 ? throw Zero(where) : Math.Floor(x / y);
                case "%": return y == 0 ? throw Zero(where) : x - Math.Floor(x / y) * y;
                case "**": return Math.Pow(x, y);
            }
        }
        throw new StructureNotUnderstoodException(op, where, $"{ScriptInterpreter.TypeName(a)} {op} {ScriptInterpreter.TypeName(b)} is not understood");
    }

    public static long FloorDiv(long x, long y)
    {
        long q = x / y;
        if ((x % y != 0) && ((x < 0) != (y < 0))) q--;
        return q;
    }

    public static bool IsInteger(object? v) => v is long or bool;
    public static bool IsNumber(object? v) => v is long or bool or double;

    public static long ToLong(object? v, SourceSpan where) => v switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        double d => (long)Math.Truncate(d),
        _ => throw new StructureNotUnderstoodException("int", where, $"a {ScriptInterpreter.TypeName(v)} is not a number"),
    };

    public static double ToDouble(object? v, SourceSpan where) => v switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        double d => d,
        _ => throw new StructureNotUnderstoodException("float", where, $"a {ScriptInterpreter.TypeName(v)} is not a number"),
    };

    public static bool ValueEquals(object? a, object? b)
    {
        if (a is null || b is null) return a is null && b is null;
        if (IsNumber(a) && IsNumber(b)) return Convert.ToDouble(a, CultureInfo.InvariantCulture) == Convert.ToDouble(b, CultureInfo.InvariantCulture);
        if (a is string sa && b is string sb) return sa == sb;
        if (a is List<object?> la && b is List<object?> lb) return la.Count == lb.Count && la.Zip(lb).All(p => ValueEquals(p.First, p.Second));
        if (a is PyTuple ta && b is PyTuple tb) return ta.Count == tb.Count && ta.Items.Zip(tb.Items).All(p => ValueEquals(p.First, p.Second));
        return ReferenceEquals(a, b);
    }

    public static int Compare(object? a, object? b, SourceSpan where)
    {
        if (IsNumber(a) && IsNumber(b)) return ToDouble(a, where).CompareTo(ToDouble(b, where));
        if (a is string sa && b is string sb) return string.CompareOrdinal(sa, sb);
        throw new StructureNotUnderstoodException("comparison", where, $"comparing a {ScriptInterpreter.TypeName(a)} with a {ScriptInterpreter.TypeName(b)} is not understood");
    }

    public static object? Negate(object? v, SourceSpan where) => v switch
    {
        long l => -l,
        double d => -d,
        bool b => b ? -1L : 0L,
        _ => throw new StructureNotUnderstoodException("-", where, $"negating a {ScriptInterpreter.TypeName(v)} is not understood"),
    };

    public static object? Abs(object? v, SourceSpan where) => v switch
    {
        long l => Math.Abs(l),
        double d => Math.Abs(d),
        _ => throw new StructureNotUnderstoodException("abs", where, $"abs of a {ScriptInterpreter.TypeName(v)} is not understood"),
    };

    public static long Length(object? v, SourceSpan where) => v switch
    {
        List<object?> l => l.Count,
        PyTuple t => t.Count,
        string s => s.Length,
        Dictionary<object, object?> d => d.Count,
        AbstractTensor t when t.Rank > 0 => t.Shape[0],
        _ => throw new StructureNotUnderstoodException("len", where, $"the length of a {ScriptInterpreter.TypeName(v)} is not understood"),
    };

    public static object? MathFunction(string name, IReadOnlyList<object?> args, SourceSpan where)
    {
        double X(int i) => ToDouble(args[i], where);
        return name switch
        {
            "math.sqrt" when args.Count == 1 => Math.Sqrt(X(0)),
            "math.floor" when args.Count == 1 => (long)Math.Floor(X(0)),
            "math.ceil" when args.Count == 1 => (long)Math.Ceiling(X(0)),
            "math.log" when args.Count == 1 => Math.Log(X(0)),
            "math.exp" when args.Count == 1 => Math.Exp(X(0)),
            "math.pow" when args.Count == 2 => Math.Pow(X(0), X(1)),
            "math.inf" => double.PositiveInfinity,
            _ => throw new StructureNotUnderstoodException(name, where, "this function is not understood"),
        };
    }

    private static StructureNotUnderstoodException Zero(SourceSpan where) => new("division", where, "division by zero");
}

using System.Collections;
using System.Globalization;

namespace CondensaPS.Engine.Operations;

/// <summary>
/// The settings of one step: kebab-case keys (case-insensitive) to scalars (string, bool, long, double) or lists of
/// them, in the order given. Typed getters convert and check, throwing <see cref="StepSettingException"/> that names
/// the step and the key. Values may also arrive as strings (from YAML after parameter substitution).
/// </summary>
public sealed class StepSettings
{
    private readonly List<KeyValuePair<string, object?>> _entries;

    public StepSettings(string step, IEnumerable<KeyValuePair<string, object?>>? entries = null)
    {
        Step = step;
        _entries = new List<KeyValuePair<string, object?>>();
        foreach (var (k, v) in entries ?? Array.Empty<KeyValuePair<string, object?>>()) Set(k, v);
    }

    public string Step { get; }
    public IReadOnlyList<KeyValuePair<string, object?>> Entries => _entries;
    public IEnumerable<string> Keys => _entries.Select(e => e.Key);

    public bool Has(string key) => _entries.Any(e => string.Equals(e.Key, key, StringComparison.OrdinalIgnoreCase));

    public object? this[string key] => _entries.FirstOrDefault(e => string.Equals(e.Key, key, StringComparison.OrdinalIgnoreCase)).Value;

    /// <summary>Sets (or replaces) a value; null removes the key.</summary>
    public StepSettings Set(string key, object? value)
    {
        int i = _entries.FindIndex(e => string.Equals(e.Key, key, StringComparison.OrdinalIgnoreCase));
        if (value is null) { if (i >= 0) _entries.RemoveAt(i); return this; }
        var normalized = Normalize(value);
        if (i >= 0) _entries[i] = new(_entries[i].Key, normalized); else _entries.Add(new(key, normalized));
        return this;
    }

    /// <summary>Throws for any key not in <paramref name="allowed"/>.</summary>
    public void RequireKnownKeys(IReadOnlyCollection<string> allowed)
    {
        foreach (var key in Keys)
            if (!allowed.Contains(key, StringComparer.OrdinalIgnoreCase))
                throw new StepSettingException(Step, key, $"unknown setting; '{Step}' takes: {string.Join(", ", allowed)}.", key);
    }

    public string? GetString(string key, string? fallback = null) => this[key] switch
    {
        null => fallback,
        string s => s,
        var v => Convert.ToString(v, CultureInfo.InvariantCulture),
    };

    public double GetDouble(string key, double fallback, double min = double.NegativeInfinity, double max = double.PositiveInfinity, bool maxExclusive = false)
    {
        var v = this[key];
        if (v is null) return fallback;
        double d = v switch
        {
            double x => x,
            long x => x,
            string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) => x,
            _ => throw new StepSettingException(Step, key, $"expected a number, got '{v}'.", v),
        };
        if (double.IsNaN(d) || d < min || (maxExclusive ? d >= max : d > max))
            throw new StepSettingException(Step, key, $"{d.ToString(CultureInfo.InvariantCulture)} is out of range [{min.ToString(CultureInfo.InvariantCulture)}, {max.ToString(CultureInfo.InvariantCulture)}{(maxExclusive ? ")" : "]")}.", v);
        return d;
    }

    public long GetInt(string key, long fallback, long min = long.MinValue, long max = long.MaxValue)
    {
        var v = this[key];
        if (v is null) return fallback;
        long n = v switch
        {
            long x => x,
            double x when x == Math.Floor(x) && Math.Abs(x) < 9e15 => (long)x,
            string s when long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var x) => x,
            _ => throw new StepSettingException(Step, key, $"expected an integer, got '{v}'.", v),
        };
        if (n < min || n > max)
            throw new StepSettingException(Step, key, $"{n} is out of range [{min}, {max}].", v);
        return n;
    }

    public bool GetBool(string key, bool fallback)
    {
        var v = this[key];
        return v switch
        {
            null => fallback,
            bool b => b,
            string s when bool.TryParse(s, out var b) => b,
            _ => throw new StepSettingException(Step, key, $"expected true or false, got '{v}'.", v),
        };
    }

    /// <summary>An enum value by name, case-insensitive, ignoring '-' (so "per-channel" matches PerChannel).</summary>
    public T GetEnum<T>(string key, T fallback) where T : struct, Enum
    {
        var v = this[key];
        if (v is null) return fallback;
        var text = Convert.ToString(v, CultureInfo.InvariantCulture)!.Replace("-", "").Replace("_", "");
        foreach (var name in Enum.GetNames<T>())
            if (string.Equals(name, text, StringComparison.OrdinalIgnoreCase)) return Enum.Parse<T>(name);
        throw new StepSettingException(Step, key, $"'{v}' is not one of: {string.Join(", ", Enum.GetNames<T>().Select(ToKebab))}.", v);
    }

    /// <summary>A list of enum values (a comma-separated string or a list), each as <see cref="GetEnum{T}"/> reads it; empty when the key is absent.</summary>
    public IReadOnlyList<T> GetEnums<T>(string key, T fallback) where T : struct, Enum =>
        GetStrings(key).Select(item => new StepSettings(Step).Set(key, item).GetEnum(key, fallback)).ToList();

    public IReadOnlyList<string> GetStrings(string key) => this[key] switch
    {
        null => Array.Empty<string>(),
        string s => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        IList list => list.Cast<object?>().Select(o => Convert.ToString(o, CultureInfo.InvariantCulture) ?? "").ToList(),
        var v => new[] { Convert.ToString(v, CultureInfo.InvariantCulture)! },
    };

    public IReadOnlyList<double> GetDoubles(string key)
    {
        var items = this[key] switch
        {
            null => new List<object?>(),
            string s => s.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Cast<object?>().ToList(),
            IList list => list.Cast<object?>().ToList(),
            var v => new List<object?> { v },
        };
        return items.Select(o => o switch
        {
            double d => d,
            long l => l,
            string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
            _ => throw new StepSettingException(Step, key, $"expected a list of numbers, got '{o}'.", o),
        }).ToList();
    }

    public IReadOnlyList<long> GetInts(string key) =>
        GetDoubles(key).Select(d => d == Math.Floor(d) ? (long)d : throw new StepSettingException(Step, key, $"expected integers, got {d}.", d)).ToList();

    /// <summary>A copy as an ordered dictionary (for history steps and YAML).</summary>
    public IReadOnlyDictionary<string, object?> ToDictionary()
    {
        var d = new OrderedSettings();
        foreach (var (k, v) in _entries) d.Add(k, v);
        return d;
    }

    public StepSettings Clone() => new(Step, _entries);

    public static string ToKebab(string pascal) =>
        string.Concat(pascal.Select((c, i) => char.IsUpper(c) && i > 0 && !char.IsUpper(pascal[i - 1]) ? "-" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    /// <summary>Scalars become string, bool, long or double; enums their kebab-case name; lists become List&lt;object?&gt;.</summary>
    private static object? Normalize(object? value) => value switch
    {
        null => null,
        string or bool or long or double => value,
        int or short or byte or sbyte or uint or ushort => Convert.ToInt64(value, CultureInfo.InvariantCulture),
        float or decimal => Convert.ToDouble(value, CultureInfo.InvariantCulture),
        Enum e => ToKebab(e.ToString()),
        IEnumerable e => e.Cast<object?>().Select(Normalize).ToList(),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture),
    };
}

/// <summary>An insertion-ordered, case-insensitive dictionary (history settings keep the order they were given in).</summary>
public sealed class OrderedSettings : IReadOnlyDictionary<string, object?>
{
    private readonly List<KeyValuePair<string, object?>> _items = new();

    public void Add(string key, object? value) => _items.Add(new(key, value));
    public object? this[string key] => TryGetValue(key, out var v) ? v : throw new KeyNotFoundException(key);
    public IEnumerable<string> Keys => _items.Select(i => i.Key);
    public IEnumerable<object?> Values => _items.Select(i => i.Value);
    public int Count => _items.Count;
    public bool ContainsKey(string key) => _items.Any(i => string.Equals(i.Key, key, StringComparison.OrdinalIgnoreCase));
    public bool TryGetValue(string key, out object? value)
    {
        foreach (var i in _items)
            if (string.Equals(i.Key, key, StringComparison.OrdinalIgnoreCase)) { value = i.Value; return true; }
        value = null;
        return false;
    }
    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => _items.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

namespace CondensaPS.Engine.Operations;

/// <summary>The compression steps by name: the one vocabulary of cmdlets, strategies and history.</summary>
public static class OperationRegistry
{
    private static readonly Dictionary<string, ICompressionOperation> Operations = new(StringComparer.OrdinalIgnoreCase);
    private static readonly object Gate = new();

    /// <summary>Each operation registers itself here (the engine's operations are listed in <see cref="BuiltInOperations"/>).</summary>
    public static void Register(ICompressionOperation operation)
    {
        lock (Gate) Operations[operation.StepName] = operation;
    }

    public static IReadOnlyCollection<string> Names { get { EnsureBuiltIns(); lock (Gate) return Operations.Keys.OrderBy(k => k).ToList(); } }

    public static ICompressionOperation Get(string step)
    {
        EnsureBuiltIns();
        lock (Gate)
        {
            if (Operations.TryGetValue(step, out var op)) return op;
        }
        throw new EngineException("UnknownStep", EngineErrorKind.InvalidArgument, $"Unknown step '{step}'. Steps: {string.Join(", ", Names)}.", step);
    }

    private static bool _builtInsRegistered;

    private static void EnsureBuiltIns()
    {
        if (_builtInsRegistered) return;
        lock (Gate)
        {
            if (_builtInsRegistered) return;
            foreach (var op in BuiltInOperations.All()) Operations[op.StepName] = op;
            _builtInsRegistered = true;
        }
    }
}

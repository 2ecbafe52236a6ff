using System.Globalization;
using CondensaPS.Engine.Formats.Pickle;
using CondensaPS.Engine.Formats.TorchScript;
using CondensaPS.Engine.Structure.Script;

namespace CondensaPS.Engine.Structure;

/// <summary>
/// Runs a TorchScript model's own code on an abstract input: numbers, lists, module attributes and control flow are
/// evaluated for real (every module in eval mode), tensors are <see cref="AbstractTensor"/>s whose shapes and channel
/// layouts the operators in <see cref="TorchOperators"/> propagate, building the <see cref="ChannelGraph"/>.
/// Whatever it does not understand stops it with a <see cref="StructureNotUnderstoodException"/> naming the construct,
/// file and line.
/// </summary>
internal sealed class ScriptInterpreter
{
    private const int MaxDepth = 256;
    private const int MaxLoopIterations = 1_000_000;

    private readonly ScriptProgram _program;
    private readonly Dictionary<string, AbstractTensor> _tensors = new(StringComparer.Ordinal);
    private readonly TorchOperators _operators;
    private int _depth;

    public ScriptInterpreter(ScriptProgram program)
    {
        _program = program;
        Graph = new ChannelGraph();
        _operators = new TorchOperators(Graph);
    }

    public ChannelGraph Graph { get; }

    /// <summary>A name that evaluates to itself: a module path such as "torch.nn" or a builtin such as "len".</summary>
    private sealed record QualifiedName(string Name);
    private sealed record BoundMethod(ScriptObject Self, ScriptClass Class, ScriptFunction Function);
    private sealed record FunctionValue(string Name, ScriptFunction Function);
    private sealed class Uninitialized { public static readonly Uninitialized Value = new(); }

    private enum Flow { Normal, Return, Break, Continue }

    private sealed class Frame
    {
        public readonly Dictionary<string, object?> Locals = new(StringComparer.Ordinal);
        public object? ReturnValue;
    }

    /// <summary>Runs the root module's forward on an input of the given shape (batch included); returns what it returns.</summary>
    public object? RunForward(IReadOnlyList<long> inputShape)
    {
        if (inputShape.Count < 2)
            throw new StructureNotUnderstoodException("input shape", null, "the input needs a batch and a channel dimension");
        var space = Graph.NewSpace(inputShape[1], "model input");
        space.Fix("model input");
        var input = new AbstractTensor(inputShape, ChannelLayout.Of(space));
        var cls = ClassOf(_program.Root, null);
        if (!cls.Methods.TryGetValue("forward", out var forward))
            throw new StructureNotUnderstoodException("forward", cls.Span, $"class '{_program.Root.ClassName}' has no forward method");
        var result = Invoke(forward, new List<object?> { _program.Root, input }, new Dictionary<string, object?>(), forward.Span);
        FixOutputs(result);
        return result;
    }

    private void FixOutputs(object? value)
    {
        switch (value)
        {
            case AbstractTensor t: Graph.Fix(t.Channels, "model output"); break;
            case PyTuple tuple: foreach (var i in tuple.Items) FixOutputs(i); break;
            case List<object?> list: foreach (var i in list) FixOutputs(i); break;
            case Dictionary<object, object?> dict: foreach (var i in dict.Values) FixOutputs(i); break;
        }
    }

    private ScriptClass ClassOf(ScriptObject obj, SourceSpan? where) =>
        _program.Class(obj.ClassName) ?? throw new StructureNotUnderstoodException(obj.ClassName, where, "the archive has no code for this class");

    private object? Invoke(ScriptFunction function, List<object?> args, Dictionary<string, object?> keywords, SourceSpan site)
    {
        if (++_depth > MaxDepth) throw new StructureNotUnderstoodException("call depth", site, $"calls nest more than {MaxDepth} deep");
        try
        {
            var frame = new Frame();
            var parameters = function.Parameters;
            if (args.Count > parameters.Count)
                throw new StructureNotUnderstoodException(function.Name, site, $"called with {args.Count} arguments, it takes {parameters.Count}");
            for (int i = 0; i < parameters.Count; i++)
            {
                var p = parameters[i];
                if (i < args.Count) frame.Locals[p.Name] = args[i];
                else if (keywords.TryGetValue(p.Name, out var kw)) frame.Locals[p.Name] = kw;
                else if (p.Default is not null) frame.Locals[p.Name] = Evaluate(p.Default, frame);
                else throw new StructureNotUnderstoodException(function.Name, site, $"called without its argument '{p.Name}'");
            }
            foreach (var key in keywords.Keys)
                if (!parameters.Any(p => p.Name == key))
                    throw new StructureNotUnderstoodException(function.Name, site, $"called with an unknown keyword '{key}'");
            Execute(function.Body, frame);
            return frame.ReturnValue;
        }
        finally
        {
            _depth--;
        }
    }

    private Flow Execute(IReadOnlyList<ScriptStmt> body, Frame frame)
    {
        foreach (var stmt in body)
        {
            var flow = Execute(stmt, frame);
            if (flow != Flow.Normal) return flow;
        }
        return Flow.Normal;
    }

    private Flow Execute(ScriptStmt stmt, Frame frame)
    {
        switch (stmt)
        {
            case AssignStmt a:
                Assign(a.Target, Evaluate(a.Value, frame), frame);
                return Flow.Normal;
            case ExprStmt e:
                Evaluate(e.Value, frame);
                return Flow.Normal;
            case ReturnStmt r:
                frame.ReturnValue = r.Value is null ? null : Evaluate(r.Value, frame);
                return Flow.Return;
            case IfStmt i:
                return Execute(Truth(Evaluate(i.Test, frame), i.Test.Span) ? i.Body : i.OrElse, frame);
            case ForStmt f:
            {
                var items = Iterate(Evaluate(f.Iterable, frame), f.Iterable.Span);
                foreach (var item in items)
                {
                    Assign(f.Target, item, frame);
                    var flow = Execute(f.Body, frame);
                    if (flow == Flow.Break) break;
                    if (flow == Flow.Return) return flow;
                }
                return Flow.Normal;
            }
            case WhileStmt w:
            {
                int n = 0;
                while (Truth(Evaluate(w.Test, frame), w.Test.Span))
                {
                    if (++n > MaxLoopIterations) throw new StructureNotUnderstoodException("while", w.Span, "the loop does not end");
                    var flow = Execute(w.Body, frame);
                    if (flow == Flow.Break) break;
                    if (flow == Flow.Return) return flow;
                }
                return Flow.Normal;
            }
            case PassStmt: return Flow.Normal;
            case BreakStmt: return Flow.Break;
            case ContinueStmt: return Flow.Continue;
            case RaiseStmt r:
                throw new StructureNotUnderstoodException("raise", r.Span, "the model raises an exception for this input");
            case AssertStmt a:
                if (!Truth(Evaluate(a.Test, frame), a.Test.Span))
                    throw new StructureNotUnderstoodException("assert", a.Span, "an assertion of the model fails for this input");
                return Flow.Normal;
        }
        throw new StructureNotUnderstoodException(stmt.GetType().Name, stmt.Span, "statement not understood");
    }

    private void Assign(ScriptExpr target, object? value, Frame frame)
    {
        switch (target)
        {
            case NameExpr n:
                frame.Locals[n.Name] = value;
                return;
            case TupleExpr t:
            {
                var items = Iterate(value, t.Span).ToList();
                if (items.Count != t.Items.Count)
                    throw new StructureNotUnderstoodException("unpacking", t.Span, $"{items.Count} values for {t.Items.Count} names");
                for (int i = 0; i < items.Count; i++) Assign(t.Items[i], items[i], frame);
                return;
            }
            case SubscriptExpr s when Evaluate(s.Target, frame) is List<object?> list:
            {
                var index = ToInt(Evaluate(s.Index, frame), s.Index.Span);
                if (index < 0) index += list.Count;
                if (index < 0 || index >= list.Count) throw new StructureNotUnderstoodException("list index", s.Span, "out of range");
                list[(int)index] = value;
                return;
            }
        }
        throw new StructureNotUnderstoodException("assignment", target.Span, $"assigning to {Describe(target)} is not understood");
    }

    private IEnumerable<object?> Iterate(object? value, SourceSpan where) => value switch
    {
        List<object?> list => list.ToList(),
        PyTuple tuple => tuple.Items,
        string s => s.Select(c => (object?)c.ToString()),
        RangeValue r => r.Items(),
        _ => throw new StructureNotUnderstoodException("iteration", where, $"iterating over a {TypeName(value)} is not understood"),
    };

    private sealed record RangeValue(long Start, long Stop, long Step)
    {
        public IEnumerable<object?> Items()
        {
            if (Step == 0) yield break;
            long n = 0;
            for (long i = Start; Step > 0 ? i < Stop : i > Stop; i += Step)
            {
                if (++n > MaxLoopIterations) throw new StructureNotUnderstoodException("range", null, "the range is too long");
                yield return i;
            }
        }
    }

    private bool Truth(object? value, SourceSpan where) => value switch
    {
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        null => false,
        List<object?> list => list.Count > 0,
        PyTuple t => t.Count > 0,
        ScriptObject => true,
        AbstractTensor { Scalar: bool b } => b,
        AbstractTensor { Scalar: long l } => l != 0,
        AbstractTensor => throw new StructureNotUnderstoodException("condition on tensor data", where, "the control flow depends on the values of a tensor"),
        _ => throw new StructureNotUnderstoodException("condition", where, $"a {TypeName(value)} used as a condition"),
    };

    private object? Evaluate(ScriptExpr expr, Frame frame)
    {
        switch (expr)
        {
            case ConstantExpr c:
                return c.Value;
            case NameExpr n:
                if (frame.Locals.TryGetValue(n.Name, out var local))
                    return local is Uninitialized ? throw new StructureNotUnderstoodException(n.Name, n.Span, "read before it is set") : local;
                return n.Name switch
                {
                    "self" => throw new StructureNotUnderstoodException("self", n.Span, "used outside a method"),
                    _ => new QualifiedName(n.Name),
                };
            case AttributeExpr a:
                return Attribute(Evaluate(a.Target, frame), a.Name, a.Span);
            case CallExpr call:
                return Call(call, frame);
            case SubscriptExpr s:
                return Subscript(Evaluate(s.Target, frame), s.Index, frame, s.Span);
            case TupleExpr t:
                return new PyTuple(t.Items.Select(i => Evaluate(i, frame)).ToArray());
            case ListExpr l:
                return l.Items.Select(i => Evaluate(i, frame)).ToList();
            case DictExpr d:
            {
                var dict = new Dictionary<object, object?>();
                foreach (var (k, v) in d.Items)
                    dict[Evaluate(k, frame) ?? throw new StructureNotUnderstoodException("dict", d.Span, "a None key")] = Evaluate(v, frame);
                return dict;
            }
            case UnaryExpr u:
            {
                var v = Evaluate(u.Operand, frame);
                return u.Operator switch
                {
                    "not" => !Truth(v, u.Span),
                    "-" => Arithmetic.Negate(v, u.Span),
                    "+" => v,
                    "~" when v is long l => ~l,
                    _ => throw new StructureNotUnderstoodException(u.Operator, u.Span, $"unary {u.Operator} on a {TypeName(v)}"),
                };
            }
            case BinaryExpr b:
                if (b.Operator == "and") { var l = Evaluate(b.Left, frame); return Truth(l, b.Span) ? Evaluate(b.Right, frame) : l; }
                if (b.Operator == "or") { var l = Evaluate(b.Left, frame); return Truth(l, b.Span) ? l : Evaluate(b.Right, frame); }
                return Binary(b.Operator, Evaluate(b.Left, frame), Evaluate(b.Right, frame), b.Span);
            case SliceExpr sl:
                return new PyTuple(new[] { sl.Lower is null ? null : Evaluate(sl.Lower, frame), sl.Upper is null ? null : Evaluate(sl.Upper, frame), sl.Step is null ? null : Evaluate(sl.Step, frame) });
            case ConditionalExpr c:
                return Truth(Evaluate(c.Test, frame), c.Span) ? Evaluate(c.Body, frame) : Evaluate(c.OrElse, frame);
        }
        throw new StructureNotUnderstoodException(expr.GetType().Name, expr.Span, "expression not understood");
    }

    private object? Binary(string op, object? left, object? right, SourceSpan where)
    {
        switch (op)
        {
            case "is": return Identical(left, right);
            case "is not": return !Identical(left, right);
            case "in": return Iterate(right, where).Any(i => Arithmetic.ValueEquals(i, left));
            case "not in": return !Iterate(right, where).Any(i => Arithmetic.ValueEquals(i, left));
        }
        if (left is AbstractTensor || right is AbstractTensor)
            return _operators.Call("torch." + op switch { "+" => "add", "-" => "sub", "*" => "mul", "/" => "div", _ => op },
                new OperatorCall(new List<object?> { left, right }, new Dictionary<string, object?>(), Array.Empty<ScriptExpr>(), where));
        return Arithmetic.Apply(op, left, right, where);
    }

    private static bool Identical(object? a, object? b)
    {
        if (a is null || b is null) return a is null && b is null;
        if (a is bool or long or double or string) return Arithmetic.ValueEquals(a, b);
        return ReferenceEquals(a, b);
    }

    private object? Attribute(object? target, string name, SourceSpan where)
    {
        switch (target)
        {
            case ScriptObject obj:
                return ObjectAttribute(obj, name, where);
            case QualifiedName q when q.Name == "CONSTANTS":
            {
                if (!name.StartsWith('c') || !int.TryParse(name[1..], NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index >= _program.Constants.Count)
                    throw new StructureNotUnderstoodException("CONSTANTS." + name, where, "no such constant in constants.pkl");
                return Wrap(_program.Constants[index], "CONSTANTS." + name);
            }
            case QualifiedName q:
                return new QualifiedName(q.Name + "." + name);
            case AbstractTensor t when name is "shape":
                return t.Shape.Select(d => (object?)d).ToList();
        }
        throw new StructureNotUnderstoodException("." + name, where, $"attribute '{name}' of a {TypeName(target)} is not understood");
    }

    private object? ObjectAttribute(ScriptObject obj, string name, SourceSpan where)
    {
        // Every module is analysed in eval mode, whatever mode it was saved in.
        if (name == "training") return false;
        if (obj.TryGet(name, out var value)) return Wrap(value, obj.Path.Length == 0 ? name : obj.Path + "." + name);
        var cls = ClassOf(obj, where);
        if (cls.Declaration(name) is { IsConstant: true } constant) return Evaluate(constant.Value!, new Frame());
        if (cls.Methods.TryGetValue(name, out var method)) return new BoundMethod(obj, cls, method);
        if (cls.Declaration(name) is not null) return null; // declared, never set: an Optional left as None
        throw new StructureNotUnderstoodException(obj.ClassName + "." + name, where, "the object has no such attribute");
    }

    /// <summary>A value read from data.pkl or constants.pkl as the interpreter sees it: tensors become abstract, lists are copied.</summary>
    private object? Wrap(object? value, string name) => value switch
    {
        ScriptTensorRecord t => TensorFor(t, name),
        ScriptTypedList l => l.Items.Select((v, i) => Wrap(v, $"{name}[{i}]")).ToList(),
        ScriptTaggedValue tagged => Wrap(tagged.Value, name),
        List<object?> l => l.Select((v, i) => Wrap(v, $"{name}[{i}]")).ToList(),
        PyTuple t => new PyTuple(t.Items.Select((v, i) => Wrap(v, $"{name}[{i}]")).ToArray()),
        PyDict d => d.Items.ToDictionary(kv => kv.Key, kv => Wrap(kv.Value, name)),
        _ => value,
    };

    private AbstractTensor TensorFor(ScriptTensorRecord record, string name)
    {
        if (!_tensors.TryGetValue(name, out var t))
        {
            t = new AbstractTensor(record.Shape, null, name);
            _tensors[name] = t;
        }
        return t;
    }

    private object? Subscript(object? target, ScriptExpr indexExpr, Frame frame, SourceSpan where)
    {
        var index = Evaluate(indexExpr, frame);
        switch (target)
        {
            case List<object?> list when index is long i:
                return At(list, i, where);
            case PyTuple tuple when index is long i:
                return At(tuple.Items, i, where);
            case List<object?> list when indexExpr is SliceExpr:
                return Slice(list, (PyTuple)index!, where).ToList();
            case string s when index is long i:
                return At(s.Select(c => (object?)c.ToString()).ToList(), i, where);
            case Dictionary<object, object?> dict when index is not null:
                return dict.TryGetValue(index, out var v) ? v : throw new StructureNotUnderstoodException("dict", where, $"no key '{index}'");
        }
        throw new StructureNotUnderstoodException("subscript", where, $"indexing a {TypeName(target)} with a {TypeName(index)} is not understood");
    }

    private static object? At(IReadOnlyList<object?> items, long i, SourceSpan where)
    {
        if (i < 0) i += items.Count;
        if (i < 0 || i >= items.Count) throw new StructureNotUnderstoodException("index", where, $"index {i} of {items.Count} items");
        return items[(int)i];
    }

    private static IEnumerable<object?> Slice(List<object?> list, PyTuple bounds, SourceSpan where)
    {
        long n = list.Count;
        long step = bounds[2] as long? ?? 1;
        if (step != 1) throw new StructureNotUnderstoodException("slice", where, "slices with a step are not understood");
        long lo = bounds[0] as long? ?? 0, hi = bounds[1] as long? ?? n;
        if (lo < 0) lo += n;
        if (hi < 0) hi += n;
        lo = Math.Clamp(lo, 0, n);
        hi = Math.Clamp(hi, 0, n);
        for (long i = lo; i < hi; i++) yield return list[(int)i];
    }

    private object? Call(CallExpr call, Frame frame)
    {
        // Builtins whose first argument is a type, which is never evaluated.
        if (call.Function is NameExpr { Name: "annotate" or "unchecked_cast" } n && !frame.Locals.ContainsKey(n.Name))
            return call.Arguments.Count == 2 ? Evaluate(call.Arguments[1], frame) : throw new StructureNotUnderstoodException(n.Name, call.Span, "expects a type and a value");
        if (call.Function is NameExpr { Name: "uninitialized" } && !frame.Locals.ContainsKey("uninitialized"))
            return Uninitialized.Value;
        if (call.Function is NameExpr { Name: "isinstance" } && !frame.Locals.ContainsKey("isinstance"))
            throw new StructureNotUnderstoodException("isinstance", call.Span, "type tests are not understood");

        var function = Evaluate(call.Function, frame);
        var args = call.Arguments.Select(a => Evaluate(a, frame)).ToList();
        var keywords = call.Keywords.ToDictionary(k => k.Name, k => Evaluate(k.Value, frame), StringComparer.Ordinal);
        switch (function)
        {
            case BoundMethod m:
                args.Insert(0, m.Self);
                return Invoke(m.Function, args, keywords, call.Span);
            case FunctionValue f:
                return Invoke(f.Function, args, keywords, call.Span);
            case QualifiedName q:
                return CallQualified(q.Name, args, keywords, call);
        }
        throw new StructureNotUnderstoodException(Describe(call.Function), call.Span, $"calling a {TypeName(function)} is not understood");
    }

    private object? CallQualified(string name, List<object?> args, Dictionary<string, object?> keywords, CallExpr call)
    {
        if (name.StartsWith("__torch__.", StringComparison.Ordinal))
        {
            var function = _program.Function(name);
            if (function is not null) return Invoke(function, args, keywords, call.Span);
            if (_program.Class(name) is not null)
                throw new StructureNotUnderstoodException(name, call.Span, "creating objects inside forward is not understood");
            throw new StructureNotUnderstoodException(name, call.Span, "the archive has no code for this function");
        }
        if (name.StartsWith("torch.", StringComparison.Ordinal))
            return _operators.Call(name, new OperatorCall(args, keywords, call.Arguments, call.Span, call.Keywords.ToDictionary(k => k.Name, k => k.Value)));
        if (name.StartsWith("ops.", StringComparison.Ordinal))
            return Ops(name, args, call);
        if (name.StartsWith("math.", StringComparison.Ordinal))
            return Arithmetic.MathFunction(name, args, call.Span);
        return Builtin(name, args, keywords, call);
    }

    private object? Ops(string name, List<object?> args, CallExpr call)
    {
        switch (name)
        {
            case "ops.prim.RaiseException":
                throw new StructureNotUnderstoodException("raise", call.Span,
                    $"the model raises an exception for this input ({(args.Count > 0 ? args[0] : "no message")})");
            case "ops.prim.unchecked_unwrap_optional":
            case "ops.prim.unchecked_cast":
                return args.Count == 1 ? args[0] : args[^1];
            case "ops.prim.NumToTensor":
                return new AbstractTensor(Array.Empty<long>()) { Scalar = args.Count == 1 ? args[0] : null };
            case "ops.prim.min":
            case "ops.prim.max":
            {
                var items = args.Count == 1 ? Iterate(args[0], call.Span).ToList() : args;
                return name.EndsWith("min", StringComparison.Ordinal)
                    ? items.Aggregate((a, b) => Arithmetic.Compare(a, b, call.Span) <= 0 ? a : b)
                    : items.Aggregate((a, b) => Arithmetic.Compare(a, b, call.Span) >= 0 ? a : b);
            }
            case "ops.prim.device":
                return "cpu";
            case "ops.prim.dtype":
                return 6L; // float32, as TorchScript numbers dtypes
        }
        throw new StructureNotUnderstoodException(name, call.Span, "this operator is not understood");
    }

    private object? Builtin(string name, List<object?> args, Dictionary<string, object?> keywords, CallExpr call)
    {
        switch (name)
        {
            case "getattr" when args.Count >= 2 && args[1] is string attr:
                return Attribute(args[0], attr, call.Span);
            case "len":
                return args.Count == 1 ? Arithmetic.Length(args[0], call.Span) : throw new StructureNotUnderstoodException("len", call.Span, "takes one argument");
            case "range":
            {
                var n = args.Select(a => ToInt(a, call.Span)).ToList();
                return n.Count switch
                {
                    1 => new RangeValue(0, n[0], 1),
                    2 => new RangeValue(n[0], n[1], 1),
                    3 => new RangeValue(n[0], n[1], n[2]),
                    _ => throw new StructureNotUnderstoodException("range", call.Span, "takes one to three arguments"),
                };
            }
            case "int":
                return args.Count == 1 ? Arithmetic.ToLong(Scalar(args[0]), call.Span) : throw new StructureNotUnderstoodException("int", call.Span, "takes one argument");
            case "float":
                return args.Count == 1 ? Arithmetic.ToDouble(Scalar(args[0]), call.Span) : throw new StructureNotUnderstoodException("float", call.Span, "takes one argument");
            case "bool":
                return args.Count == 1 ? Truth(args[0], call.Span) : throw new StructureNotUnderstoodException("bool", call.Span, "takes one argument");
            case "str":
                return args.Count == 1 ? Convert.ToString(args[0], CultureInfo.InvariantCulture) ?? "None" : throw new StructureNotUnderstoodException("str", call.Span, "takes one argument");
            case "min":
            case "max":
            {
                var items = args.Count == 1 ? Iterate(args[0], call.Span).ToList() : args;
                if (items.Count == 0) throw new StructureNotUnderstoodException(name, call.Span, "of nothing");
                return name == "min"
                    ? items.Aggregate((a, b) => Arithmetic.Compare(a, b, call.Span) <= 0 ? a : b)
                    : items.Aggregate((a, b) => Arithmetic.Compare(a, b, call.Span) >= 0 ? a : b);
            }
            case "abs":
                return args.Count == 1 ? Arithmetic.Abs(args[0], call.Span) : throw new StructureNotUnderstoodException("abs", call.Span, "takes one argument");
            case "print":
                return null;
        }
        throw new StructureNotUnderstoodException(name, call.Span, "this function is not understood");
    }

    private static object? Scalar(object? value) => value is AbstractTensor { Scalar: { } s } ? s : value;

    private static long ToInt(object? value, SourceSpan where) => value switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        AbstractTensor { Scalar: long l } => l,
        _ => throw new StructureNotUnderstoodException("integer", where, $"expected an integer, got a {TypeName(value)}"),
    };

    internal static string TypeName(object? value) => value switch
    {
        null => "None",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        List<object?> => "list",
        PyTuple => "tuple",
        AbstractTensor => "Tensor",
        ScriptObject o => o.ClassName,
        QualifiedName q => q.Name,
        _ => value.GetType().Name,
    };

    private static string Describe(ScriptExpr expr) => expr switch
    {
        NameExpr n => n.Name,
        AttributeExpr a => Describe(a.Target) + "." + a.Name,
        CallExpr c => Describe(c.Function) + "(...)",
        _ => expr.GetType().Name.Replace("Expr", "").ToLowerInvariant(),
    };
}

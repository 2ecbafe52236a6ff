namespace CondensaPS.Engine.Structure.Script;

/// <summary>Where a piece of code is: its file in the archive, its line, and its character span.</summary>
internal readonly record struct SourceSpan(string File, int Line, int Start, int End)
{
    public override string ToString() => $"{File}:{Line}";
}

internal abstract record ScriptExpr(SourceSpan Span);
internal sealed record NameExpr(SourceSpan Span, string Name) : ScriptExpr(Span);
/// <summary>A literal: long, double, string, bool or null (None).</summary>
internal sealed record ConstantExpr(SourceSpan Span, object? Value) : ScriptExpr(Span);
internal sealed record AttributeExpr(SourceSpan Span, ScriptExpr Target, string Name) : ScriptExpr(Span);
internal sealed record CallExpr(SourceSpan Span, ScriptExpr Function, IReadOnlyList<ScriptExpr> Arguments, IReadOnlyList<(string Name, ScriptExpr Value)> Keywords) : ScriptExpr(Span);
internal sealed record SubscriptExpr(SourceSpan Span, ScriptExpr Target, ScriptExpr Index) : ScriptExpr(Span);
internal sealed record SliceExpr(SourceSpan Span, ScriptExpr? Lower, ScriptExpr? Upper, ScriptExpr? Step) : ScriptExpr(Span);
internal sealed record TupleExpr(SourceSpan Span, IReadOnlyList<ScriptExpr> Items) : ScriptExpr(Span);
internal sealed record ListExpr(SourceSpan Span, IReadOnlyList<ScriptExpr> Items) : ScriptExpr(Span);
internal sealed record DictExpr(SourceSpan Span, IReadOnlyList<(ScriptExpr Key, ScriptExpr Value)> Items) : ScriptExpr(Span);
internal sealed record UnaryExpr(SourceSpan Span, string Operator, ScriptExpr Operand) : ScriptExpr(Span);
internal sealed record BinaryExpr(SourceSpan Span, string Operator, ScriptExpr Left, ScriptExpr Right) : ScriptExpr(Span);
internal sealed record ConditionalExpr(SourceSpan Span, ScriptExpr Test, ScriptExpr Body, ScriptExpr OrElse) : ScriptExpr(Span);

internal abstract record ScriptStmt(SourceSpan Span);
internal sealed record AssignStmt(SourceSpan Span, ScriptExpr Target, ScriptExpr Value) : ScriptStmt(Span);
internal sealed record ExprStmt(SourceSpan Span, ScriptExpr Value) : ScriptStmt(Span);
internal sealed record ReturnStmt(SourceSpan Span, ScriptExpr? Value) : ScriptStmt(Span);
internal sealed record IfStmt(SourceSpan Span, ScriptExpr Test, IReadOnlyList<ScriptStmt> Body, IReadOnlyList<ScriptStmt> OrElse) : ScriptStmt(Span);
internal sealed record ForStmt(SourceSpan Span, ScriptExpr Target, ScriptExpr Iterable, IReadOnlyList<ScriptStmt> Body) : ScriptStmt(Span);
internal sealed record WhileStmt(SourceSpan Span, ScriptExpr Test, IReadOnlyList<ScriptStmt> Body) : ScriptStmt(Span);
internal sealed record PassStmt(SourceSpan Span) : ScriptStmt(Span);
internal sealed record BreakStmt(SourceSpan Span) : ScriptStmt(Span);
internal sealed record ContinueStmt(SourceSpan Span) : ScriptStmt(Span);
internal sealed record RaiseStmt(SourceSpan Span, ScriptExpr? Value) : ScriptStmt(Span);
internal sealed record AssertStmt(SourceSpan Span, ScriptExpr Test, ScriptExpr? Message) : ScriptStmt(Span);

/// <summary>A parameter of a def: name, type annotation (unevaluated) and default value.</summary>
internal sealed record ScriptParameter(string Name, ScriptExpr? Type, ScriptExpr? Default);

/// <summary>A def: a module-level function or a method of a class.</summary>
internal sealed record ScriptFunction(SourceSpan Span, string Name, IReadOnlyList<ScriptParameter> Parameters, IReadOnlyList<ScriptStmt> Body);

/// <summary>
/// A declaration in a class body: <c>name : Type</c> (an attribute each object stores) or <c>name : Final[T] = v</c> (a
/// constant of the class, inlined by the compiler wherever it is used). The span covers the whole line.
/// </summary>
internal sealed record ScriptDeclaration(SourceSpan Span, string Name, ScriptExpr Type, ScriptExpr? Value)
{
    public bool IsConstant => Value is not null;
}

/// <summary>A class: its attribute and constant declarations, parameter and buffer names, and methods.</summary>
internal sealed record ScriptClass(SourceSpan Span, string Name, IReadOnlyList<ScriptDeclaration> Declarations,
    IReadOnlyList<string> ParameterNames, IReadOnlyList<string> BufferNames, IReadOnlyDictionary<string, ScriptFunction> Methods)
{
    public ScriptDeclaration? Declaration(string name) => Declarations.FirstOrDefault(d => d.Name == name);
}

/// <summary>One parsed code file: its classes and functions by name.</summary>
internal sealed record ScriptFile(string Path, string Text, IReadOnlyDictionary<string, ScriptClass> Classes, IReadOnlyDictionary<string, ScriptFunction> Functions);

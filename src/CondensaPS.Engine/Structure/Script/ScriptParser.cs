namespace CondensaPS.Engine.Structure.Script;

/// <summary>
/// Parses one code file of a TorchScript archive: the Python subset PyTorch's serializer prints (classes with
/// attribute and constant declarations and methods; functions; assignments, if/else, for, while, return; calls,
/// attributes, subscripts, literals, lists, tuples and the usual operators). Anything outside it is a
/// <see cref="ScriptSyntaxException"/> naming the file and line.
/// </summary>
internal sealed class ScriptParser
{
    private readonly List<ScriptToken> _tokens;
    private readonly string _file;
    private int _pos;

    private ScriptParser(List<ScriptToken> tokens, string file)
    {
        _tokens = tokens;
        _file = file;
    }

    public static ScriptFile Parse(string text, string file)
    {
        var parser = new ScriptParser(ScriptLexer.Tokenize(text, file), file);
        var (classes, functions) = parser.ParseFile();
        return new ScriptFile(file, text, classes, functions);
    }

    private ScriptToken Current => _tokens[_pos];
    private ScriptToken Peek(int ahead = 1) => _tokens[Math.Min(_pos + ahead, _tokens.Count - 1)];

    private (Dictionary<string, ScriptClass>, Dictionary<string, ScriptFunction>) ParseFile()
    {
        var classes = new Dictionary<string, ScriptClass>(StringComparer.Ordinal);
        var functions = new Dictionary<string, ScriptFunction>(StringComparer.Ordinal);
        while (Current.Kind != ScriptTokenKind.End)
        {
            if (Current.Kind == ScriptTokenKind.Newline) { _pos++; continue; }
            if (Current.Is("class")) { var c = ParseClass(); classes[c.Name] = c; continue; }
            if (Current.Is("def")) { var f = ParseDef(); functions[f.Name] = f; continue; }
            if (Current.Is("import") || Current.Is("from")) { SkipLine(); continue; }
            if (Current.Kind == ScriptTokenKind.Name && Peek().Is("=") && Current.Text is "op_version_set") { SkipLine(); continue; }
            throw Error($"expected a class or a def, found {Current}");
        }
        return (classes, functions);
    }

    private void SkipLine()
    {
        while (Current.Kind is not (ScriptTokenKind.Newline or ScriptTokenKind.End)) _pos++;
        if (Current.Kind == ScriptTokenKind.Newline) _pos++;
    }

    private ScriptClass ParseClass()
    {
        var start = Expect("class");
        var name = ExpectName();
        if (Accept("("))
        {
            if (!Current.Is(")")) ParseExpression();
            Expect(")");
        }
        Expect(":");
        Expect(ScriptTokenKind.Newline);
        Expect(ScriptTokenKind.Indent);
        var declarations = new List<ScriptDeclaration>();
        var parameters = new List<string>();
        var buffers = new List<string>();
        var methods = new Dictionary<string, ScriptFunction>(StringComparer.Ordinal);
        while (Current.Kind != ScriptTokenKind.Dedent && Current.Kind != ScriptTokenKind.End)
        {
            if (Current.Kind == ScriptTokenKind.Newline) { _pos++; continue; }
            if (Current.Is("def")) { var f = ParseDef(); methods[f.Name] = f; continue; }
            if (Current.Is("pass")) { _pos++; Expect(ScriptTokenKind.Newline); continue; }
            var lineStart = Current;
            if (Current.Is("__annotations__"))
            {
                _pos++;
                Expect("[");
                var key = Current.Kind == ScriptTokenKind.String ? (string)Current.Value! : throw Error("expected a string key in __annotations__[...]");
                _pos++;
                Expect("]");
                Expect("=");
                var type = ParseExpression();
                declarations.Add(new ScriptDeclaration(SpanFrom(lineStart), key, type, null));
                Expect(ScriptTokenKind.Newline);
                continue;
            }
            var declName = ExpectName();
            if (Accept("="))
            {
                var value = ParseExpression();
                var names = value is ListExpr l ? l.Items.OfType<ConstantExpr>().Select(c => c.Value as string).Where(s => s != null).Select(s => s!).ToList() : new List<string>();
                if (declName == "__parameters__") parameters.AddRange(names);
                else if (declName == "__buffers__") buffers.AddRange(names);
                else throw Error($"unexpected class-level assignment to '{declName}'", lineStart.Line);
                Expect(ScriptTokenKind.Newline);
                continue;
            }
            Expect(":");
            var declType = ParseExpression();
            ScriptExpr? constant = Accept("=") ? ParseExpression() : null;
            declarations.Add(new ScriptDeclaration(SpanFrom(lineStart), declName, declType, constant));
            Expect(ScriptTokenKind.Newline);
        }
        if (Current.Kind == ScriptTokenKind.Dedent) _pos++;
        return new ScriptClass(Span(start), name, declarations, parameters, buffers, methods);
    }

    private ScriptFunction ParseDef()
    {
        var start = Expect("def");
        var name = ExpectName();
        Expect("(");
        var parameters = new List<ScriptParameter>();
        while (!Current.Is(")"))
        {
            if (Accept("*")) { if (Current.Is(",")) { _pos++; continue; } }
            var pname = ExpectName();
            ScriptExpr? type = Accept(":") ? ParseExpression() : null;
            ScriptExpr? @default = Accept("=") ? ParseExpression() : null;
            parameters.Add(new ScriptParameter(pname, type, @default));
            if (!Accept(",")) break;
        }
        Expect(")");
        if (Accept("->")) ParseExpression();
        Expect(":");
        var body = ParseSuite();
        return new ScriptFunction(Span(start), name, parameters, body);
    }

    private List<ScriptStmt> ParseSuite()
    {
        var body = new List<ScriptStmt>();
        if (Current.Kind != ScriptTokenKind.Newline)
        {
            body.Add(ParseSimpleStatement());
            return body;
        }
        _pos++;
        Expect(ScriptTokenKind.Indent);
        while (Current.Kind != ScriptTokenKind.Dedent && Current.Kind != ScriptTokenKind.End)
        {
            if (Current.Kind == ScriptTokenKind.Newline) { _pos++; continue; }
            body.Add(ParseStatement());
        }
        if (Current.Kind == ScriptTokenKind.Dedent) _pos++;
        return body;
    }

    private ScriptStmt ParseStatement()
    {
        var start = Current;
        if (Current.Is("if")) return ParseIf();
        if (Current.Is("for"))
        {
            _pos++;
            var target = ParseTargetList();
            Expect("in");
            var iterable = ParseExpression();
            Expect(":");
            return new ForStmt(Span(start), target, iterable, ParseSuite());
        }
        if (Current.Is("while"))
        {
            _pos++;
            var test = ParseExpression();
            Expect(":");
            return new WhileStmt(Span(start), test, ParseSuite());
        }
        if (Current.Is("def") || Current.Is("class")) throw Error($"a nested {Current.Text} is not part of the serialized subset");
        return ParseSimpleStatement();
    }

    private IfStmt ParseIf()
    {
        var start = Current;
        _pos++; // 'if' or 'elif'
        var test = ParseExpression();
        Expect(":");
        var body = ParseSuite();
        IReadOnlyList<ScriptStmt> orElse = Array.Empty<ScriptStmt>();
        if (Current.Is("elif")) orElse = new[] { ParseIf() };
        else if (Current.Is("else"))
        {
            _pos++;
            Expect(":");
            orElse = ParseSuite();
        }
        return new IfStmt(Span(start), test, body, orElse);
    }

    private ScriptStmt ParseSimpleStatement()
    {
        var start = Current;
        ScriptStmt stmt;
        if (Accept("pass")) stmt = new PassStmt(Span(start));
        else if (Accept("break")) stmt = new BreakStmt(Span(start));
        else if (Accept("continue")) stmt = new ContinueStmt(Span(start));
        else if (Accept("return"))
            stmt = new ReturnStmt(Span(start), Current.Kind == ScriptTokenKind.Newline ? null : ParseTestList());
        else if (Accept("raise"))
            stmt = new RaiseStmt(Span(start), Current.Kind == ScriptTokenKind.Newline ? null : ParseExpression());
        else if (Accept("assert"))
        {
            var test = ParseExpression();
            ScriptExpr? message = Accept(",") ? ParseExpression() : null;
            stmt = new AssertStmt(Span(start), test, message);
        }
        else
        {
            var first = ParseTestList();
            if (Accept(":"))
            {
                ParseExpression(); // annotation of an annotated assignment
                Expect("=");
                stmt = new AssignStmt(Span(start), first, ParseTestList());
            }
            else if (Accept("="))
            {
                var value = ParseTestList();
                while (Accept("=")) value = ParseTestList(); // a = b = c is not printed; keep the last value
                stmt = new AssignStmt(Span(start), first, value);
            }
            else if (Current.Kind == ScriptTokenKind.Operator && Current.Text is "+=" or "-=" or "*=" or "/=")
            {
                var op = Current.Text[..1];
                _pos++;
                var value = ParseTestList();
                stmt = new AssignStmt(Span(start), first, new BinaryExpr(Span(start), op, first, value));
            }
            else stmt = new ExprStmt(Span(start), first);
        }
        if (Current.Kind != ScriptTokenKind.End) Expect(ScriptTokenKind.Newline);
        return stmt;
    }

    private ScriptExpr ParseTargetList()
    {
        var start = Current;
        var first = ParseOr(allowIn: false);
        if (!Current.Is(",")) return first;
        var items = new List<ScriptExpr> { first };
        while (Accept(","))
        {
            if (Current.Is("in") || Current.Is("=")) break;
            items.Add(ParseOr(allowIn: false));
        }
        return new TupleExpr(Span(start), items);
    }

    /// <summary>An expression, or several separated by commas (a tuple without brackets).</summary>
    private ScriptExpr ParseTestList()
    {
        var start = Current;
        var first = ParseExpression();
        if (!Current.Is(",")) return first;
        var items = new List<ScriptExpr> { first };
        while (Accept(","))
        {
            if (Current.Kind is ScriptTokenKind.Newline || Current.Is("=") || Current.Is(")")) break;
            items.Add(ParseExpression());
        }
        return new TupleExpr(Span(start), items);
    }

    private ScriptExpr ParseExpression()
    {
        var start = Current;
        var body = ParseOr(allowIn: true);
        if (Current.Is("if") )
        {
            _pos++;
            var test = ParseOr(allowIn: true);
            Expect("else");
            var orElse = ParseExpression();
            return new ConditionalExpr(Span(start), test, body, orElse);
        }
        return body;
    }

    private ScriptExpr ParseOr(bool allowIn)
    {
        var start = Current;
        var left = ParseAnd(allowIn);
        while (Accept("or")) left = new BinaryExpr(Span(start), "or", left, ParseAnd(allowIn));
        return left;
    }

    private ScriptExpr ParseAnd(bool allowIn)
    {
        var start = Current;
        var left = ParseNot(allowIn);
        while (Accept("and")) left = new BinaryExpr(Span(start), "and", left, ParseNot(allowIn));
        return left;
    }

    private ScriptExpr ParseNot(bool allowIn)
    {
        var start = Current;
        if (Accept("not")) return new UnaryExpr(Span(start), "not", ParseNot(allowIn));
        return ParseComparison(allowIn);
    }

    private ScriptExpr ParseComparison(bool allowIn)
    {
        var start = Current;
        var left = ParseBinary(0);
        while (true)
        {
            string? op = null;
            if (Current.Kind == ScriptTokenKind.Operator && Current.Text is "==" or "!=" or "<" or ">" or "<=" or ">=") { op = Current.Text; _pos++; }
            else if (Current.Is("is")) { _pos++; op = Accept("not") ? "is not" : "is"; }
            else if (allowIn && Current.Is("in")) { _pos++; op = "in"; }
            else if (allowIn && Current.Is("not") && Peek().Is("in")) { _pos += 2; op = "not in"; }
            if (op is null) return left;
            left = new BinaryExpr(Span(start), op, left, ParseBinary(0));
        }
    }

    private static readonly string[][] BinaryLevels =
    {
        new[] { "|" }, new[] { "^" }, new[] { "&" }, new[] { "<<", ">>" }, new[] { "+", "-" }, new[] { "*", "/", "//", "%", "@" },
    };

    private ScriptExpr ParseBinary(int level)
    {
        if (level == BinaryLevels.Length) return ParseUnary();
        var start = Current;
        var left = ParseBinary(level + 1);
        while (Current.Kind == ScriptTokenKind.Operator && BinaryLevels[level].Contains(Current.Text))
        {
            var op = Current.Text;
            _pos++;
            left = new BinaryExpr(Span(start), op, left, ParseBinary(level + 1));
        }
        return left;
    }

    private ScriptExpr ParseUnary()
    {
        var start = Current;
        if (Current.Kind == ScriptTokenKind.Operator && Current.Text is "-" or "+" or "~")
        {
            var op = Current.Text;
            _pos++;
            var operand = ParseUnary();
            if (op == "-" && operand is ConstantExpr { Value: long l }) return new ConstantExpr(SpanFrom(start), -l);
            if (op == "-" && operand is ConstantExpr { Value: double d }) return new ConstantExpr(SpanFrom(start), -d);
            return new UnaryExpr(SpanFrom(start), op, operand);
        }
        var power = ParsePostfix();
        if (Accept("**")) return new BinaryExpr(SpanFrom(start), "**", power, ParseUnary());
        return power;
    }

    private ScriptExpr ParsePostfix()
    {
        var start = Current;
        var expr = ParseAtom();
        while (true)
        {
            if (Accept("."))
            {
                expr = new AttributeExpr(SpanFrom(start), expr, ExpectName());
            }
            else if (Current.Is("("))
            {
                _pos++;
                var args = new List<ScriptExpr>();
                var keywords = new List<(string, ScriptExpr)>();
                while (!Current.Is(")"))
                {
                    if (Current.Kind == ScriptTokenKind.Name && Peek().Is("="))
                    {
                        var key = Current.Text;
                        _pos += 2;
                        keywords.Add((key, ParseExpression()));
                    }
                    else
                    {
                        if (keywords.Count > 0) throw Error("a positional argument follows a keyword argument");
                        args.Add(ParseExpression());
                    }
                    if (!Accept(",")) break;
                }
                Expect(")");
                expr = new CallExpr(SpanFrom(start), expr, args, keywords);
            }
            else if (Current.Is("["))
            {
                _pos++;
                var index = ParseSubscriptList();
                Expect("]");
                expr = new SubscriptExpr(SpanFrom(start), expr, index);
            }
            else return expr;
        }
    }

    private ScriptExpr ParseSubscriptList()
    {
        var start = Current;
        var first = ParseSubscript();
        if (!Current.Is(",")) return first;
        var items = new List<ScriptExpr> { first };
        while (Accept(","))
        {
            if (Current.Is("]")) break;
            items.Add(ParseSubscript());
        }
        return new TupleExpr(SpanFrom(start), items);
    }

    private ScriptExpr ParseSubscript()
    {
        var start = Current;
        ScriptExpr? lower = null;
        if (!Current.Is(":")) lower = ParseExpression();
        if (!Current.Is(":")) return lower!;
        _pos++;
        ScriptExpr? upper = Current.Is(":") || Current.Is("]") || Current.Is(",") ? null : ParseExpression();
        ScriptExpr? step = null;
        if (Accept(":") && !(Current.Is("]") || Current.Is(","))) step = ParseExpression();
        return new SliceExpr(SpanFrom(start), lower, upper, step);
    }

    private ScriptExpr ParseAtom()
    {
        var t = Current;
        switch (t.Kind)
        {
            case ScriptTokenKind.Int:
            case ScriptTokenKind.Float:
                _pos++;
                return new ConstantExpr(Span(t), t.Value);
            case ScriptTokenKind.String:
            {
                _pos++;
                var text = (string)t.Value!;
                while (Current.Kind == ScriptTokenKind.String) { text += (string)Current.Value!; _pos++; }
                return new ConstantExpr(SpanFrom(t), text);
            }
            case ScriptTokenKind.Name:
                _pos++;
                return t.Text switch
                {
                    "True" => new ConstantExpr(Span(t), true),
                    "False" => new ConstantExpr(Span(t), false),
                    "None" => new ConstantExpr(Span(t), null),
                    "lambda" or "yield" or "await" or "async" or "with" or "try" or "del" or "global" or "nonlocal" or "lambda"
                        => throw Error($"'{t.Text}' is not part of the serialized subset", t.Line),
                    _ => new NameExpr(Span(t), t.Text),
                };
            case ScriptTokenKind.Operator when t.Text == "(":
            {
                _pos++;
                if (Accept(")")) return new TupleExpr(SpanFrom(t), Array.Empty<ScriptExpr>());
                var first = ParseExpression();
                if (Accept(")")) return first;
                var items = new List<ScriptExpr> { first };
                while (Accept(","))
                {
                    if (Current.Is(")")) break;
                    items.Add(ParseExpression());
                }
                Expect(")");
                return new TupleExpr(SpanFrom(t), items);
            }
            case ScriptTokenKind.Operator when t.Text == "[":
            {
                _pos++;
                var items = new List<ScriptExpr>();
                while (!Current.Is("]"))
                {
                    items.Add(ParseExpression());
                    if (Current.Is("for")) throw Error("list comprehensions are not part of the serialized subset");
                    if (!Accept(",")) break;
                }
                Expect("]");
                return new ListExpr(SpanFrom(t), items);
            }
            case ScriptTokenKind.Operator when t.Text == "{":
            {
                _pos++;
                var items = new List<(ScriptExpr, ScriptExpr)>();
                while (!Current.Is("}"))
                {
                    var key = ParseExpression();
                    Expect(":");
                    items.Add((key, ParseExpression()));
                    if (!Accept(",")) break;
                }
                Expect("}");
                return new DictExpr(SpanFrom(t), items);
            }
        }
        throw Error($"unexpected {t}");
    }

    private bool Accept(string text)
    {
        if (!Current.Is(text)) return false;
        _pos++;
        return true;
    }

    private ScriptToken Expect(string text)
    {
        if (!Current.Is(text)) throw Error($"expected '{text}', found {Current}");
        return _tokens[_pos++];
    }

    private void Expect(ScriptTokenKind kind)
    {
        if (Current.Kind != kind) throw Error($"expected {kind.ToString().ToLowerInvariant()}, found {Current}");
        _pos++;
    }

    private string ExpectName()
    {
        if (Current.Kind != ScriptTokenKind.Name) throw Error($"expected a name, found {Current}");
        return _tokens[_pos++].Text;
    }

    private SourceSpan Span(ScriptToken t) => new(_file, t.Line, t.Start, t.End);

    /// <summary>From a start token to the end of the last token consumed.</summary>
    private SourceSpan SpanFrom(ScriptToken start) => new(_file, start.Line, start.Start, _pos > 0 ? _tokens[_pos - 1].End : start.End);

    private ScriptSyntaxException Error(string message, int? line = null) => new(_file, line ?? Current.Line, message);
}

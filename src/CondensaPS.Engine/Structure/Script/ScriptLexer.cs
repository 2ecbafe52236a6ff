using System.Globalization;
using System.Text;

namespace CondensaPS.Engine.Structure.Script;

/// <summary>
/// Splits the Python subset that PyTorch writes into an archive's <c>code/</c> folder into tokens, with Python's
/// indentation rules: INDENT and DEDENT tokens at block boundaries, no line breaks inside brackets.
/// </summary>
internal sealed class ScriptLexer
{
    private static readonly string[] Operators =
    {
        "**", "//", "->", "==", "!=", "<=", ">=", "<<", ">>", "+=", "-=", "*=", "/=",
        "(", ")", "[", "]", "{", "}", ",", ":", ".", "=", "+", "-", "*", "/", "%", "<", ">", "&", "|", "^", "~", "@",
    };

    private readonly string _text;
    private readonly string _file;
    private readonly List<ScriptToken> _tokens = new();
    private readonly Stack<int> _indents = new();
    private int _pos;
    private int _line = 1;
    private int _depth;

    private ScriptLexer(string text, string file)
    {
        _text = text;
        _file = file;
        _indents.Push(0);
    }

    public static List<ScriptToken> Tokenize(string text, string file) => new ScriptLexer(text, file).Run();

    private List<ScriptToken> Run()
    {
        bool lineStart = true;
        while (_pos < _text.Length)
        {
            if (lineStart && _depth == 0)
            {
                if (!ReadIndentation()) break;
                lineStart = false;
                continue;
            }
            char c = _text[_pos];
            if (c == '\n')
            {
                if (_depth == 0)
                {
                    Add(ScriptTokenKind.Newline, "\n", _pos, _pos + 1);
                    lineStart = true;
                }
                _pos++;
                _line++;
                continue;
            }
            if (c == ' ' || c == '\t' || c == '\r') { _pos++; continue; }
            if (c == '\\' && _pos + 1 < _text.Length && _text[_pos + 1] == '\n') { _pos += 2; _line++; continue; }
            if (c == '#') { SkipComment(); continue; }
            if (char.IsLetter(c) || c == '_') { ReadName(); continue; }
            if (char.IsDigit(c) || (c == '.' && _pos + 1 < _text.Length && char.IsDigit(_text[_pos + 1]))) { ReadNumber(); continue; }
            if (c == '"' || c == '\'') { ReadString(); continue; }
            ReadOperator();
        }
        if (_tokens.Count > 0 && _tokens[^1].Kind is not (ScriptTokenKind.Newline or ScriptTokenKind.Dedent))
            Add(ScriptTokenKind.Newline, "\n", _pos, _pos);
        while (_indents.Count > 1)
        {
            _indents.Pop();
            Add(ScriptTokenKind.Dedent, "", _pos, _pos);
        }
        Add(ScriptTokenKind.End, "", _pos, _pos);
        return _tokens;
    }

    /// <summary>Measures a line's indentation and emits INDENT/DEDENT; skips blank and comment lines. False at the end.</summary>
    private bool ReadIndentation()
    {
        while (true)
        {
            int start = _pos, width = 0;
            while (_pos < _text.Length && (_text[_pos] == ' ' || _text[_pos] == '\t'))
            {
                width += _text[_pos] == '\t' ? 8 - width % 8 : 1;
                _pos++;
            }
            if (_pos >= _text.Length) return false;
            char c = _text[_pos];
            if (c == '\r') { _pos++; continue; }
            if (c == '\n') { _pos++; _line++; continue; }
            if (c == '#') { SkipComment(); continue; }
            if (width > _indents.Peek())
            {
                _indents.Push(width);
                Add(ScriptTokenKind.Indent, "", start, _pos);
            }
            else
            {
                while (width < _indents.Peek())
                {
                    _indents.Pop();
                    Add(ScriptTokenKind.Dedent, "", _pos, _pos);
                }
                if (width != _indents.Peek()) throw Error("the indentation does not match any outer block");
            }
            return true;
        }
    }

    private void SkipComment()
    {
        while (_pos < _text.Length && _text[_pos] != '\n') _pos++;
    }

    private void ReadName()
    {
        int start = _pos;
        while (_pos < _text.Length && (char.IsLetterOrDigit(_text[_pos]) || _text[_pos] == '_')) _pos++;
        Add(ScriptTokenKind.Name, _text[start.._pos], start, _pos);
    }

    private void ReadNumber()
    {
        int start = _pos;
        bool isFloat = false;
        if (_text[_pos] == '0' && _pos + 1 < _text.Length && (_text[_pos + 1] is 'x' or 'X'))
        {
            _pos += 2;
            while (_pos < _text.Length && Uri.IsHexDigit(_text[_pos])) _pos++;
            Add(ScriptTokenKind.Int, _text[start.._pos], start, _pos, long.Parse(_text[(start + 2).._pos], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            return;
        }
        while (_pos < _text.Length && char.IsDigit(_text[_pos])) _pos++;
        if (_pos < _text.Length && _text[_pos] == '.')
        {
            isFloat = true;
            _pos++;
            while (_pos < _text.Length && char.IsDigit(_text[_pos])) _pos++;
        }
        if (_pos < _text.Length && (_text[_pos] is 'e' or 'E'))
        {
            int save = _pos;
            _pos++;
            if (_pos < _text.Length && (_text[_pos] is '+' or '-')) _pos++;
            if (_pos < _text.Length && char.IsDigit(_text[_pos]))
            {
                isFloat = true;
                while (_pos < _text.Length && char.IsDigit(_text[_pos])) _pos++;
            }
            else _pos = save;
        }
        var text = _text[start.._pos];
        if (isFloat)
            Add(ScriptTokenKind.Float, text, start, _pos, double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture));
        else if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
            Add(ScriptTokenKind.Int, text, start, _pos, value);
        else
            throw Error($"the integer {text} does not fit in 64 bits");
    }

    private void ReadString()
    {
        int start = _pos;
        char quote = _text[_pos++];
        var sb = new StringBuilder();
        while (true)
        {
            if (_pos >= _text.Length || _text[_pos] == '\n') throw Error("a string is not closed on its line");
            char c = _text[_pos++];
            if (c == quote) break;
            if (c != '\\') { sb.Append(c); continue; }
            if (_pos >= _text.Length) throw Error("a string ends in a backslash");
            char e = _text[_pos++];
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case '0': sb.Append('\0'); break;
                case '\\': sb.Append('\\'); break;
                case '\'': sb.Append('\''); break;
                case '"': sb.Append('"'); break;
                case 'x' when _pos + 2 <= _text.Length:
                    sb.Append((char)Convert.ToInt32(_text.Substring(_pos, 2), 16));
                    _pos += 2;
                    break;
                case 'u' when _pos + 4 <= _text.Length:
                    sb.Append((char)Convert.ToInt32(_text.Substring(_pos, 4), 16));
                    _pos += 4;
                    break;
                default: sb.Append('\\').Append(e); break;
            }
        }
        Add(ScriptTokenKind.String, _text[start.._pos], start, _pos, sb.ToString());
    }

    private void ReadOperator()
    {
        foreach (var op in Operators)
        {
            if (string.CompareOrdinal(_text, _pos, op, 0, op.Length) != 0) continue;
            if (op is "(" or "[" or "{") _depth++;
            else if (op is ")" or "]" or "}") _depth = Math.Max(0, _depth - 1);
            Add(ScriptTokenKind.Operator, op, _pos, _pos + op.Length);
            _pos += op.Length;
            return;
        }
        throw Error($"unexpected character '{_text[_pos]}'");
    }

    private void Add(ScriptTokenKind kind, string text, int start, int end, object? value = null) =>
        _tokens.Add(new ScriptToken(kind, text, _line, start, end, value));

    private ScriptSyntaxException Error(string message) => new(_file, _line, message);
}

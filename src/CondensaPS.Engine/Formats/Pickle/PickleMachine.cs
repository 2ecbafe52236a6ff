using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace CondensaPS.Engine.Formats.Pickle;

/// <summary>
/// A small pickle interpreter for the binary opcodes (protocols 2 to 5) that torch.save emits. It builds only plain
/// values (None, bool, int, float, str, bytes, tuple, list, dict) itself; every global, call, persistent id and
/// BUILD goes through an <see cref="IPickleHost"/>, which allows a short list of names and refuses the rest. Nothing
/// is ever looked up by reflection or executed, so a hostile pickle can at worst be refused.
/// </summary>
internal sealed class PickleMachine
{
    private readonly byte[] _data;
    private readonly IPickleHost _host;
    private readonly List<object?> _stack = new();
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = new();
    private int _pos;

    public PickleMachine(byte[] data, IPickleHost host)
    {
        _data = data;
        _host = host;
    }

    public object? Run()
    {
        while (true)
        {
            if (_pos >= _data.Length) throw new PickleFormatException("the pickle ends without a STOP opcode");
            int at = _pos;
            byte op = _data[_pos++];
            switch (op)
            {
                case 0x80: // PROTO
                    if (ReadByte() > 5) throw new PickleFormatException($"pickle protocol {_data[_pos - 1]} is newer than 5");
                    break;
                case 0x95: Skip(8); break; // FRAME: a length hint only
                case (byte)'.': // STOP
                    if (_stack.Count != 1) throw new PickleFormatException($"STOP with {_stack.Count} values on the stack");
                    return _stack[0];

                case (byte)'c': { var module = ReadLine(); var name = ReadLine(); Push(_host.ResolveGlobal(module, name)); break; } // GLOBAL
                case 0x93: // STACK_GLOBAL
                {
                    var name = Pop() as string ?? throw new PickleFormatException("STACK_GLOBAL needs two strings");
                    var module = Pop() as string ?? throw new PickleFormatException("STACK_GLOBAL needs two strings");
                    Push(_host.ResolveGlobal(module, name));
                    break;
                }

                case (byte)'q': _memo[ReadByte()] = Peek(); break; // BINPUT
                case (byte)'r': _memo[ReadUInt32()] = Peek(); break; // LONG_BINPUT
                case (byte)'p': _memo[ParseLong(ReadLine())] = Peek(); break; // PUT
                case 0x94: _memo[_memo.Count] = Peek(); break; // MEMOIZE
                case (byte)'h': Push(Memo(ReadByte())); break; // BINGET
                case (byte)'j': Push(Memo(ReadUInt32())); break; // LONG_BINGET
                case (byte)'g': Push(Memo(ParseLong(ReadLine()))); break; // GET

                case (byte)'}': Push(new PyDict()); break; // EMPTY_DICT
                case (byte)']': Push(new List<object?>()); break; // EMPTY_LIST
                case (byte)')': Push(new PyTuple(Array.Empty<object?>())); break; // EMPTY_TUPLE
                case (byte)'(': _marks.Push(_stack.Count); break; // MARK
                case (byte)'0': Pop(); break; // POP
                case (byte)'1': PopMark(); break; // POP_MARK
                case (byte)'2': Push(Peek()); break; // DUP

                case (byte)'s': { var value = Pop(); var key = Pop(); Dict(Peek(), "SETITEM").Set(key, value); break; } // SETITEM
                case (byte)'u': // SETITEMS
                {
                    var items = PopMark();
                    if (items.Length % 2 != 0) throw new PickleFormatException("SETITEMS with an odd number of values");
                    var dict = Dict(Peek(), "SETITEMS");
                    for (int i = 0; i < items.Length; i += 2) dict.Set(items[i], items[i + 1]);
                    break;
                }
                case (byte)'a': { var value = Pop(); List(Peek(), "APPEND").Add(value); break; } // APPEND
                case (byte)'e': { var items = PopMark(); List(Peek(), "APPENDS").AddRange(items); break; } // APPENDS
                case (byte)'l': Push(new List<object?>(PopMark())); break; // LIST
                case (byte)'d': // DICT
                {
                    var items = PopMark();
                    if (items.Length % 2 != 0) throw new PickleFormatException("DICT with an odd number of values");
                    var dict = new PyDict();
                    for (int i = 0; i < items.Length; i += 2) dict.Set(items[i], items[i + 1]);
                    Push(dict);
                    break;
                }

                case (byte)'t': Push(new PyTuple(PopMark())); break; // TUPLE
                case 0x85: Push(new PyTuple(new[] { Pop() })); break; // TUPLE1
                case 0x86: { var b = Pop(); var a = Pop(); Push(new PyTuple(new[] { a, b })); break; } // TUPLE2
                case 0x87: { var c = Pop(); var b = Pop(); var a = Pop(); Push(new PyTuple(new[] { a, b, c })); break; } // TUPLE3

                case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(Take(4))); break; // BININT
                case (byte)'K': Push((long)ReadByte()); break; // BININT1
                case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(2))); break; // BININT2
                case 0x8a: Push(ReadLong(ReadByte())); break; // LONG1
                case 0x8b: Push(ReadLong(checked((int)ReadUInt32()))); break; // LONG4
                case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(Take(8))); break; // BINFLOAT

                case (byte)'X': Push(Utf8(checked((int)ReadUInt32()))); break; // BINUNICODE
                case 0x8c: Push(Utf8(ReadByte())); break; // SHORT_BINUNICODE
                case 0x8d: Push(Utf8(checked((int)ReadUInt64()))); break; // BINUNICODE8
                case (byte)'T': Push(Encoding.Latin1.GetString(Take(checked((int)ReadUInt32())))); break; // BINSTRING
                case (byte)'U': Push(Encoding.Latin1.GetString(Take(ReadByte()))); break; // SHORT_BINSTRING
                case (byte)'B': Push(Take(checked((int)ReadUInt32())).ToArray()); break; // BINBYTES
                case (byte)'C': Push(Take(ReadByte()).ToArray()); break; // SHORT_BINBYTES
                case 0x8e: Push(Take(checked((int)ReadUInt64())).ToArray()); break; // BINBYTES8

                case (byte)'N': Push(null); break; // NONE
                case 0x88: Push(true); break; // NEWTRUE
                case 0x89: Push(false); break; // NEWFALSE

                case (byte)'Q': Push(_host.PersistentLoad(Pop())); break; // BINPERSID
                case (byte)'R': // REDUCE
                {
                    var args = Pop() as PyTuple ?? throw new PickleFormatException("REDUCE needs an argument tuple");
                    var callable = Pop();
                    Push(_host.Call(callable, args.Items));
                    break;
                }
                case 0x81: // NEWOBJ: cls.__new__(cls, *args)
                {
                    var args = Pop() as PyTuple ?? throw new PickleFormatException("NEWOBJ needs an argument tuple");
                    var cls = Pop();
                    Push(_host.Call(cls, args.Items));
                    break;
                }
                case (byte)'b': { var state = Pop(); _host.Build(Peek(), state); break; } // BUILD

                default:
                    throw new UnsupportedPickleOpcodeException(op, at);
            }
        }
    }

    private void Push(object? value) => _stack.Add(value);

    private object? Pop()
    {
        if (_stack.Count == 0 || (_marks.Count > 0 && _marks.Peek() == _stack.Count)) throw new PickleFormatException("stack underflow");
        var v = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return v;
    }

    private object? Peek() => _stack.Count > 0 ? _stack[^1] : throw new PickleFormatException("stack underflow");

    private object?[] PopMark()
    {
        if (_marks.Count == 0) throw new PickleFormatException("an opcode needs a MARK that is not there");
        int start = _marks.Pop();
        var items = _stack.GetRange(start, _stack.Count - start).ToArray();
        _stack.RemoveRange(start, _stack.Count - start);
        return items;
    }

    private object? Memo(long key) => _memo.TryGetValue(key, out var v) ? v : throw new PickleFormatException($"memo entry {key} is read before it is written");

    private static PyDict Dict(object? o, string op) => o as PyDict ?? throw new PickleFormatException($"{op} on a {Describe(o)}, not a dict");
    private static List<object?> List(object? o, string op) => o as List<object?> ?? throw new PickleFormatException($"{op} on a {Describe(o)}, not a list");
    internal static string Describe(object? o) => o?.GetType().Name ?? "None";

    private ReadOnlySpan<byte> Take(int n)
    {
        if (n < 0 || _pos + (long)n > _data.Length) throw new PickleFormatException("the pickle is cut short");
        var span = new ReadOnlySpan<byte>(_data, _pos, n);
        _pos += n;
        return span;
    }

    private void Skip(int n) => Take(n);
    private byte ReadByte() => Take(1)[0];
    private uint ReadUInt32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));
    private ulong ReadUInt64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));
    private string Utf8(int n) => Encoding.UTF8.GetString(Take(n));

    private string ReadLine()
    {
        int end = Array.IndexOf(_data, (byte)'\n', _pos);
        if (end < 0) throw new PickleFormatException("the pickle is cut short");
        var s = Encoding.ASCII.GetString(_data, _pos, end - _pos);
        _pos = end + 1;
        return s;
    }

    private static long ParseLong(string s) => long.TryParse(s, out var v) ? v : throw new PickleFormatException($"'{s}' is not an integer");

    /// <summary>LONG1/LONG4: little-endian two's complement; a long when it fits, else a BigInteger.</summary>
    private object ReadLong(int n)
    {
        var bytes = Take(n);
        if (n == 0) return 0L;
        var big = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        return big >= long.MinValue && big <= long.MaxValue ? (long)big : big;
    }
}

/// <summary>An opcode outside the set a state dict needs (old text protocols, extension registry, INST/OBJ).</summary>
internal sealed class UnsupportedPickleOpcodeException : Exception
{
    public UnsupportedPickleOpcodeException(byte op, int position)
        : base($"pickle opcode 0x{op:x2} at byte {position} is not one that torch.save writes for tensors and plain values") { }
}

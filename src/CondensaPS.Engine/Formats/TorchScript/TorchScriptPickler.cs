using System.Buffers.Binary;
using System.Text;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Formats.TorchScript;

/// <summary>
/// Writes data.pkl as torch.jit.save does (pickle protocol 2): each module is its class (GLOBAL "__torch__.ns Name"),
/// made with NEWOBJ and filled by BUILD from a dict of its slots in declaration order; each tensor is
/// torch._utils._rebuild_tensor_v2 over a storage named by persistent id ("storage", torch.FloatStorage, "N", "cpu",
/// numel), whose bytes the archive holds in data/N. Tensors are numbered in the order they are pickled.
/// </summary>
internal sealed class TorchScriptPickler
{
    private const byte Proto = 0x80, Global = (byte)'c', EmptyTuple = (byte)')', NewObj = 0x81, EmptyDict = (byte)'}',
        Mark = (byte)'(', SetItems = (byte)'u', Build = (byte)'b', BinUnicode = (byte)'X', NewTrue = 0x88, NewFalse = 0x89,
        None = (byte)'N', BinInt1 = (byte)'K', BinInt2 = (byte)'M', BinInt = (byte)'J', Long1 = 0x8a, BinFloat = (byte)'G',
        Tuple = (byte)'t', BinPersId = (byte)'Q', Reduce = (byte)'R', Stop = (byte)'.';

    private readonly MemoryStream _out = new();
    private readonly TorchScriptClassTable _classes;
    private readonly List<Tensor> _tensors = new();

    private TorchScriptPickler(TorchScriptClassTable classes) => _classes = classes;

    /// <summary>data.pkl for the tree whose classes <paramref name="classes"/> named, and the tensors for data/0, data/1, ...</summary>
    public static (byte[] Pickle, IReadOnlyList<Tensor> Tensors) Pickle(TorchScriptModule root, TorchScriptClassTable classes)
    {
        var pickler = new TorchScriptPickler(classes);
        pickler._out.Write(new byte[] { Proto, 2 });
        pickler.WriteModule(root);
        pickler._out.WriteByte(Stop);
        return (pickler._out.ToArray(), pickler._tensors);
    }

    /// <summary>constants.pkl of an archive without tensor constants: an empty tuple.</summary>
    public static byte[] EmptyConstants() => new byte[] { Proto, 2, EmptyTuple, Stop };

    private void WriteModule(TorchScriptModule module)
    {
        var type = _classes.TypeOf(module);
        int dot = type.LastIndexOf('.');
        WriteGlobal(type[..dot], type[(dot + 1)..]);
        _out.WriteByte(EmptyTuple);
        _out.WriteByte(NewObj);
        _out.WriteByte(EmptyDict);
        _out.WriteByte(Mark);
        foreach (var slot in module.Slots())
        {
            WriteString(slot.Name);
            WriteValue(slot.Value, slot.Kind == TorchScriptModule.SlotKind.Parameter);
        }
        _out.WriteByte(SetItems);
        _out.WriteByte(Build);
    }

    private void WriteValue(object? value, bool requiresGrad)
    {
        switch (value)
        {
            case null: _out.WriteByte(None); break;
            case TorchScriptModule module: WriteModule(module); break;
            case Tensor tensor: WriteTensor(tensor, requiresGrad); break;
            case bool b: _out.WriteByte(b ? NewTrue : NewFalse); break;
            case int i: WriteInt(i); break;
            case long l: WriteInt(l); break;
            case double d: WriteFloat(d); break;
            case string s: WriteString(s); break;
            default:
                throw new ArgumentException($"A TorchScript attribute cannot hold a {value.GetType().Name}.", nameof(value));
        }
    }

    private void WriteTensor(Tensor tensor, bool requiresGrad)
    {
        var storage = StorageClass(tensor.dtype);
        string key = _tensors.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _tensors.Add(tensor);
        WriteGlobal("torch._utils", "_rebuild_tensor_v2");
        _out.WriteByte(Mark);
        _out.WriteByte(Mark);
        WriteString("storage");
        WriteGlobal("torch", storage);
        WriteString(key);
        WriteString("cpu");
        WriteInt(tensor.numel());
        _out.WriteByte(Tuple);
        _out.WriteByte(BinPersId);
        WriteInt(0);
        WriteIntTuple(tensor.shape);
        WriteIntTuple(ContiguousStrides(tensor.shape));
        _out.WriteByte(requiresGrad ? NewTrue : NewFalse);
        WriteGlobal("collections", "OrderedDict");
        _out.WriteByte(EmptyTuple);
        _out.WriteByte(Reduce);
        _out.WriteByte(Tuple);
        _out.WriteByte(Reduce);
    }

    /// <summary>The strides of a contiguous tensor of this shape: data/N holds the tensor's values in row-major order.</summary>
    private static long[] ContiguousStrides(long[] shape)
    {
        var strides = new long[shape.Length];
        long stride = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = stride;
            stride *= Math.Max(1, shape[i]);
        }
        return strides;
    }

    private static string StorageClass(ScalarType type) => type switch
    {
        ScalarType.Float32 => "FloatStorage",
        ScalarType.Float64 => "DoubleStorage",
        ScalarType.Float16 => "HalfStorage",
        ScalarType.BFloat16 => "BFloat16Storage",
        ScalarType.Int64 => "LongStorage",
        ScalarType.Int32 => "IntStorage",
        ScalarType.Int16 => "ShortStorage",
        ScalarType.Int8 => "CharStorage",
        ScalarType.Byte => "ByteStorage",
        ScalarType.Bool => "BoolStorage",
        _ => throw new EngineException("UnsupportedTensorType", EngineErrorKind.NotSupported, $"A TorchScript archive written by CondensaPS cannot hold {type} tensors.", type),
    };

    private void WriteIntTuple(long[] values)
    {
        _out.WriteByte(Mark);
        foreach (var v in values) WriteInt(v);
        _out.WriteByte(Tuple);
    }

    private void WriteGlobal(string module, string name) => _out.Write(Encoding.UTF8.GetBytes($"{(char)Global}{module}\n{name}\n"));

    private void WriteString(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)bytes.Length);
        _out.WriteByte(BinUnicode);
        _out.Write(length);
        _out.Write(bytes);
    }

    private void WriteInt(long value)
    {
        Span<byte> buffer = stackalloc byte[8];
        if (value >= 0 && value < 256) { _out.WriteByte(BinInt1); _out.WriteByte((byte)value); }
        else if (value >= 0 && value < 65536) { _out.WriteByte(BinInt2); BinaryPrimitives.WriteUInt16LittleEndian(buffer, (ushort)value); _out.Write(buffer[..2]); }
        else if (value >= int.MinValue && value <= int.MaxValue) { _out.WriteByte(BinInt); BinaryPrimitives.WriteInt32LittleEndian(buffer, (int)value); _out.Write(buffer[..4]); }
        else { _out.WriteByte(Long1); _out.WriteByte(8); BinaryPrimitives.WriteInt64LittleEndian(buffer, value); _out.Write(buffer); }
    }

    private void WriteFloat(double value)
    {
        Span<byte> buffer = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleBigEndian(buffer, value);
        _out.WriteByte(BinFloat);
        _out.Write(buffer);
    }
}

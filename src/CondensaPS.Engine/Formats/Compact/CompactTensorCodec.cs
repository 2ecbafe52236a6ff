using System.Text;
using CondensaPS.Engine.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace CondensaPS.Engine.Formats.Compact;

/// <summary>A tensor read back from a compact file, on the CPU, with its mask and quantization record.</summary>
internal sealed class DecodedTensor : IDisposable
{
    public DecodedTensor(string name, bool isBuffer, Tensor value, Tensor? mask, QuantizationState? quantization)
    {
        Name = name;
        IsBuffer = isBuffer;
        Value = value;
        Mask = mask;
        Quantization = quantization;
    }

    public string Name { get; }
    public bool IsBuffer { get; }
    public Tensor Value { get; }
    public Tensor? Mask { get; }
    public QuantizationState? Quantization { get; }

    public void Dispose()
    {
        Value.Dispose();
        Mask?.Dispose();
        Quantization?.Dispose();
    }
}

/// <summary>
/// One tensor record of the TENS section (layout in docs/compact-format.md). The writer stores values at their
/// storage precision (fp16, bf16, int8 q with scales) only when that reproduces the tensor exactly, and otherwise at
/// the tensor's own dtype; it stores a tensor sparsely (positions + values) when that is smaller than dense, and picks
/// bitmask or index-gap positions per tensor, whichever is smaller.
/// </summary>
internal static class CompactTensorCodec
{
    public static CompactTensorInfo Write(BinaryWriter writer, string name, bool isBuffer, Tensor tensor, Tensor? mask, QuantizationState? quantization)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        long start = writer.BaseStream.Position;
        var shape = tensor.shape;
        var cpu = tensor.detach().cpu().contiguous();
        var flat = cpu.flatten();
        long numel = flat.numel();

        // Values at their storage precision, if that is exact.
        var storage = ValueStorage.Raw;
        Tensor values = flat;
        Tensor? scaleBroadcast = null;
        if (quantization is { } q && cpu.is_floating_point())
        {
            switch (q.Type)
            {
                case StorageType.Float16 or StorageType.BFloat16:
                {
                    var low = flat.to(q.Type == StorageType.Float16 ? ScalarType.Float16 : ScalarType.BFloat16);
                    if (Same(low.to(flat.dtype), flat)) { storage = q.Type == StorageType.Float16 ? ValueStorage.Float16 : ValueStorage.BFloat16; values = low; }
                    break;
                }
                case StorageType.Int8 when q.Scale is not null:
                {
                    scaleBroadcast = ScaleBroadcast(q, shape).to(cpu.dtype);
                    var ints = (cpu / scaleBroadcast).round().clamp(-128, 127).to(ScalarType.Int8);
                    if (Same(ints.to(cpu.dtype) * scaleBroadcast, cpu)) { storage = ValueStorage.Int8; values = ints.flatten(); }
                    break;
                }
            }
        }
        int elementSize = (int)values.element_size();

        // Which elements to store, and the mask.
        bool[]? kept = mask is null ? null : (mask.detach().cpu().flatten() != 0).data<bool>().ToArray();
        bool[] nonZero = (flat != 0).data<bool>().ToArray();
        bool maskCoversValues = kept is null || !nonZero.Where((nz, i) => nz && !kept[i]).Any();
        var sparsePositions = maskCoversValues ? CompactPositions.Encode(kept ?? nonZero) : null;
        long sparseCount = sparsePositions?.Count ?? 0;
        var denseMask = kept is null ? null : CompactPositions.Encode(kept);
        long sparseCost = sparsePositions is null ? long.MaxValue : sparsePositions.EncodedLength + sparseCount * elementSize;
        long denseCost = numel * elementSize + (denseMask?.EncodedLength ?? 0);
        bool sparse = sparseCost < denseCost;

        byte[] valueBytes;
        if (sparse)
        {
            using var selector = torch.tensor(kept ?? nonZero);
            valueBytes = values.masked_select(selector).contiguous().bytes.ToArray();
        }
        else valueBytes = values.contiguous().bytes.ToArray();

        writer.Write(name);
        writer.Write((byte)(isBuffer ? 1 : 0));
        writer.Write((byte)cpu.dtype);
        Leb128.Write(writer, shape.Length);
        foreach (var d in shape) Leb128.Write(writer, d);
        writer.Write((byte)storage);
        WriteQuantization(writer, quantization);
        writer.Write((byte)(sparse ? CompactLayout.Sparse : CompactLayout.Dense));
        var maskMode = mask is null ? MaskMode.None : sparse ? MaskMode.StoredPositions : MaskMode.Explicit;
        writer.Write((byte)maskMode);
        if (mask is not null) writer.Write((byte)mask.dtype);
        if (sparse) sparsePositions!.Write(writer);
        if (maskMode == MaskMode.Explicit) denseMask!.Write(writer);
        CompactBlob.Encode(valueBytes).Write(writer);
        writer.Flush();

        return new CompactTensorInfo(name, isBuffer ? "buffer" : "parameter", shape, storage,
            sparse ? CompactLayout.Sparse : CompactLayout.Dense, sparse ? sparsePositions!.Encoding : null, maskMode,
            valueBytes.Length / elementSize, writer.BaseStream.Position - start, numel * 4);
    }

    public static DecodedTensor Read(BinaryReader reader)
    {
        var name = reader.ReadString();
        bool isBuffer = reader.ReadByte() != 0;
        var dtype = (ScalarType)reader.ReadByte();
        long rank = Leb128.Read(reader);
        if (rank > 16) throw new InvalidDataException($"tensor '{name}' has rank {rank}");
        var shape = new long[rank];
        for (int i = 0; i < rank; i++) shape[i] = Leb128.Read(reader);
        long numel = shape.Aggregate(1L, (a, b) => checked(a * b));
        var storage = (ValueStorage)reader.ReadByte();
        var quantization = ReadQuantization(reader, name);
        Tensor? value = null, mask = null;
        try
        {
            var layout = (CompactLayout)reader.ReadByte();
            var maskMode = (MaskMode)reader.ReadByte();
            var maskType = maskMode == MaskMode.None ? ScalarType.Float32 : (ScalarType)reader.ReadByte();
            if (layout is not (CompactLayout.Dense or CompactLayout.Sparse) || maskMode > MaskMode.Explicit || (maskMode == MaskMode.StoredPositions) != (layout == CompactLayout.Sparse && maskMode != MaskMode.None))
                throw new InvalidDataException($"tensor '{name}' has layout {(byte)layout} with mask mode {(byte)maskMode}");
            bool[]? positions = layout == CompactLayout.Sparse ? CompactPositions.Read(reader, numel, $"tensor '{name}' positions") : null;
            bool[]? explicitMask = maskMode == MaskMode.Explicit ? CompactPositions.Read(reader, numel, $"tensor '{name}' mask") : null;
            var storedType = storage switch
            {
                ValueStorage.Raw => dtype,
                ValueStorage.Float16 => ScalarType.Float16,
                ValueStorage.BFloat16 => ScalarType.BFloat16,
                ValueStorage.Int8 => ScalarType.Int8,
                _ => throw new InvalidDataException($"tensor '{name}' has unknown value storage {(byte)storage}"),
            };
            if (storage == ValueStorage.Int8 && quantization?.Scale is null)
                throw new InvalidDataException($"tensor '{name}' stores int8 values without scales");
            long count = positions?.LongCount(p => p) ?? numel;
            using (var scope = NewDisposeScope())
            {
                var stored = empty(new[] { count }, storedType);
                long elementSize = stored.element_size();
                var bytes = CompactBlob.Read(reader, count * elementSize, $"tensor '{name}' values");
                if (count > 0) stored.bytes = bytes;
                Tensor full = stored;
                if (positions is not null)
                {
                    full = zeros(new[] { numel }, storedType);
                    full.masked_scatter_(torch.tensor(positions), stored);
                }
                full = full.reshape(shape).to(dtype);
                if (storage == ValueStorage.Int8) full = full * ScaleBroadcast(quantization!, shape).to(dtype);
                value = full.contiguous().MoveToOuterDisposeScope();
                if (maskMode != MaskMode.None)
                    mask = torch.tensor(positions ?? explicitMask!).reshape(shape).to(maskType).MoveToOuterDisposeScope();
            }
            return new DecodedTensor(name, isBuffer, value, mask, quantization);
        }
        catch
        {
            value?.Dispose();
            mask?.Dispose();
            quantization?.Dispose();
            throw;
        }
    }

    /// <summary>Quantization record: u8 (0 none, else 1 + StorageType); then u8 has-scale, axis + 1 (LEB128) and the scale tensor.</summary>
    private static void WriteQuantization(BinaryWriter writer, QuantizationState? q)
    {
        if (q is null) { writer.Write((byte)0); return; }
        writer.Write((byte)(1 + (int)q.Type));
        writer.Write((byte)(q.Scale is null ? 0 : 1));
        if (q.Scale is null) return;
        Leb128.Write(writer, q.Axis + 1);
        using var scale = q.Scale.detach().cpu().contiguous();
        writer.Write((byte)scale.dtype);
        Leb128.Write(writer, scale.shape.Length);
        foreach (var d in scale.shape) Leb128.Write(writer, d);
        writer.Write(scale.bytes);
    }

    private static QuantizationState? ReadQuantization(BinaryReader reader, string name)
    {
        int type = reader.ReadByte();
        if (type == 0) return null;
        if (type - 1 > (int)StorageType.Int8) throw new InvalidDataException($"tensor '{name}' has unknown quantization type {type}");
        if (reader.ReadByte() == 0) return new QuantizationState((StorageType)(type - 1));
        int axis = (int)Leb128.Read(reader) - 1;
        var dtype = (ScalarType)reader.ReadByte();
        long rank = Leb128.Read(reader);
        if (rank > 1) throw new InvalidDataException($"tensor '{name}' has scales of rank {rank}");
        var shape = new long[rank];
        for (int i = 0; i < rank; i++) shape[i] = Leb128.Read(reader);
        var scale = empty(shape, dtype);
        try
        {
            var bytes = reader.ReadBytes((int)(scale.numel() * scale.element_size()));
            if (bytes.Length != scale.numel() * scale.element_size()) throw new EndOfStreamException($"tensor '{name}' scales are cut short");
            scale.bytes = bytes;
            return new QuantizationState((StorageType)(type - 1), scale, axis);
        }
        catch
        {
            scale.Dispose();
            throw;
        }
    }

    /// <summary>Element-wise equality of two tensors of one shape (NaNs never compare equal, so they keep raw storage).</summary>
    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && (a == b).all().item<bool>();

    /// <summary>The scales shaped to broadcast over the tensor: [C] along the axis, or a scalar.</summary>
    private static Tensor ScaleBroadcast(QuantizationState q, long[] shape)
    {
        var scale = q.Scale!.detach().cpu();
        if (q.Axis < 0 || scale.dim() == 0) return scale.reshape(Array.Empty<long>());
        if (q.Axis >= shape.Length || scale.numel() != shape[q.Axis])
            throw new InvalidDataException($"{scale.numel()} scales along axis {q.Axis} do not fit shape [{string.Join("x", shape)}]");
        var view = Enumerable.Repeat(1L, shape.Length).ToArray();
        view[q.Axis] = shape[q.Axis];
        return scale.reshape(view);
    }
}

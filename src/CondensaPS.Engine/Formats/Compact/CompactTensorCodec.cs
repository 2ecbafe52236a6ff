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
/// storage precision (fp16, bf16, int8 q with scales, cluster indices with the codebook) only where that reproduces
/// every stored element exactly, and otherwise at the tensor's own dtype; it stores a tensor sparsely (positions +
/// values) when that is smaller than dense, and picks the position encoding and each stream's codec per tensor,
/// whichever is smallest.
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

        // The values at their storage precision, and where that reproduces the tensor exactly.
        var preferred = ValueStorage.Raw;
        Tensor? low = null;
        bool[]? exact = null;
        if (quantization is { } q && cpu.is_floating_point())
        {
            switch (q.Type)
            {
                case StorageType.Float16 or StorageType.BFloat16:
                    preferred = q.Type == StorageType.Float16 ? ValueStorage.Float16 : ValueStorage.BFloat16;
                    low = flat.to(q.Type == StorageType.Float16 ? ScalarType.Float16 : ScalarType.BFloat16);
                    exact = Equal(low.to(flat.dtype), flat);
                    break;
                case StorageType.Int8 when q.Scale is not null:
                {
                    preferred = ValueStorage.Int8;
                    var scale = ScaleBroadcast(q, shape).to(cpu.dtype);
                    var ints = (cpu / scale).round().clamp(-128, 127).to(ScalarType.Int8);
                    low = ints.flatten();
                    exact = Equal((ints.to(cpu.dtype) * scale).flatten(), flat);
                    break;
                }
                case StorageType.Cluster when q.Codebook is not null && q.Indices is not null && q.Indices.shape.SequenceEqual(shape):
                    preferred = ValueStorage.ClusterIndex;
                    low = q.Indices.detach().cpu().flatten().to(ScalarType.Byte);
                    exact = Equal(q.Codebook.detach().cpu().to(flat.dtype).index_select(0, low.to(ScalarType.Int64)), flat);
                    break;
            }
        }

        // Which elements to store, and the mask.
        bool[]? kept = mask is null ? null : (mask.detach().cpu().flatten() != 0).data<bool>().ToArray();
        bool[] nonZero = (flat != 0).data<bool>().ToArray();
        bool maskCoversValues = kept is null || !nonZero.Where((nz, i) => nz && !kept[i]).Any();
        bool[]? sparseAt = maskCoversValues ? kept ?? nonZero : null;
        var sparsePositions = sparseAt is null ? null : CompactPositions.Encode(sparseAt);
        var denseMask = kept is null ? null : CompactPositions.Encode(kept);
        int rawSize = (int)flat.element_size();
        bool ExactAt(bool[]? where) => exact is not null && (where is null ? exact.All(e => e) : !exact.Where((e, i) => !e && where[i]).Any());
        ValueStorage StorageFor(bool[]? where) => preferred != ValueStorage.Raw && ExactAt(where) ? preferred : ValueStorage.Raw;
        int SizeOf(ValueStorage storage) => storage == ValueStorage.Raw ? rawSize : (int)low!.element_size();
        var sparseStorage = StorageFor(sparseAt);
        var denseStorage = StorageFor(null);
        long sparseCost = sparsePositions is null ? long.MaxValue : sparsePositions.EncodedLength + sparsePositions.Count * SizeOf(sparseStorage);
        long denseCost = numel * SizeOf(denseStorage) + (denseMask?.EncodedLength ?? 0);
        bool sparse = sparseCost < denseCost;
        var storage = sparse ? sparseStorage : denseStorage;
        var values = storage == ValueStorage.Raw ? flat : low!;

        byte[] valueBytes;
        if (sparse)
        {
            using var selector = torch.tensor(sparseAt!);
            valueBytes = values.masked_select(selector).contiguous().bytes.ToArray();
        }
        else valueBytes = values.contiguous().bytes.ToArray();

        writer.Write(name);
        writer.Write((byte)(isBuffer ? 1 : 0));
        writer.Write((byte)cpu.dtype);
        Leb128.Write(writer, shape.Length);
        foreach (var d in shape) Leb128.Write(writer, d);
        writer.Write((byte)storage);
        long quantizationStart = writer.BaseStream.Position;
        WriteQuantization(writer, quantization);
        long quantizationBytes = writer.BaseStream.Position - quantizationStart;
        writer.Write((byte)(sparse ? CompactLayout.Sparse : CompactLayout.Dense));
        var maskMode = mask is null ? MaskMode.None : sparse ? MaskMode.StoredPositions : MaskMode.Explicit;
        writer.Write((byte)maskMode);
        if (mask is not null) writer.Write((byte)mask.dtype);
        long positionStart = writer.BaseStream.Position;
        if (sparse) sparsePositions!.Write(writer);
        if (maskMode == MaskMode.Explicit) denseMask!.Write(writer);
        long positionBytes = writer.BaseStream.Position - positionStart;
        var valueBlob = CompactBlob.Encode(valueBytes);
        valueBlob.Write(writer);
        // A clustered tensor whose values are not its codebook's (changed after clustering) keeps its record whole:
        // every element's index follows the raw values.
        if (quantization?.Type == StorageType.Cluster && storage != ValueStorage.ClusterIndex)
        {
            using var indices = quantization.Indices!.detach().cpu().flatten().to(ScalarType.Byte).contiguous();
            CompactBlob.Encode(indices.bytes.ToArray()).Write(writer);
        }
        writer.Flush();

        int elementSize = SizeOf(storage);
        return new CompactTensorInfo(name, isBuffer ? "buffer" : "parameter", shape, storage,
            sparse ? CompactLayout.Sparse : CompactLayout.Dense, sparse ? sparsePositions!.Encoding : null, maskMode,
            valueBytes.Length / elementSize, writer.BaseStream.Position - start, numel * 4)
        {
            PositionBytes = positionBytes,
            ValueBytes = valueBlob.EncodedLength,
            QuantizationBytes = quantizationBytes,
            PositionCodec = sparse ? sparsePositions!.Blob.Codec : maskMode == MaskMode.Explicit ? denseMask!.Blob.Codec : null,
            ValueCodec = valueBlob.Codec,
        };
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
        var record = ReadQuantization(reader, name);
        Tensor? value = null, mask = null, indices = null;
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
                ValueStorage.ClusterIndex => ScalarType.Byte,
                _ => throw new InvalidDataException($"tensor '{name}' has unknown value storage {(byte)storage}"),
            };
            if (storage == ValueStorage.Int8 && record?.Scale is null)
                throw new InvalidDataException($"tensor '{name}' stores int8 values without scales");
            if (storage == ValueStorage.ClusterIndex && record?.Type != StorageType.Cluster)
                throw new InvalidDataException($"tensor '{name}' stores cluster indices without a codebook");
            if (record?.Type == StorageType.Cluster && !IsFloating(dtype))
                throw new InvalidDataException($"tensor '{name}' of dtype {dtype} has a codebook");
            long count = positions?.LongCount(p => p) ?? numel;
            using (var scope = NewDisposeScope())
            {
                var stored = empty(new[] { count }, storedType);
                long elementSize = stored.element_size();
                var bytes = CompactBlob.Read(reader, count * elementSize, $"tensor '{name}' values");
                if (count > 0) stored.bytes = bytes;
                Tensor full;
                if (storage == ValueStorage.ClusterIndex)
                {
                    var codebook = record!.Codebook!;
                    if (count > 0 && stored.max().item<byte>() >= codebook.shape[0])
                        throw new InvalidDataException($"tensor '{name}' has a cluster index beyond its {codebook.shape[0]}-value codebook");
                    // Elements not stored (pruned ones) take the index of the codebook value nearest zero; their value is zero.
                    var fill = (byte)new Quantization.NearestCentroid(codebook.data<float>().ToArray()).Of(0f);
                    var index = torch.full(new[] { numel }, fill, ScalarType.Byte);
                    if (positions is not null) index.masked_scatter_(torch.tensor(positions), stored); else index = stored;
                    indices = index.reshape(shape).contiguous().MoveToOuterDisposeScope();
                    full = codebook.to(dtype).index_select(0, index.to(ScalarType.Int64));
                    if (positions is not null) full = full * torch.tensor(positions).to(dtype);
                    full = full.reshape(shape);
                }
                else
                {
                    full = stored;
                    if (positions is not null)
                    {
                        full = zeros(new[] { numel }, storedType);
                        full.masked_scatter_(torch.tensor(positions), stored);
                    }
                    full = full.reshape(shape).to(dtype);
                    if (storage == ValueStorage.Int8) full = full * ScaleBroadcast(record!.Scale!, record.Axis, shape).to(dtype);
                }
                value = full.contiguous().MoveToOuterDisposeScope();
                if (record?.Type == StorageType.Cluster && storage != ValueStorage.ClusterIndex)
                {
                    var index = empty(new[] { numel }, ScalarType.Byte);
                    var indexBytes = CompactBlob.Read(reader, numel, $"tensor '{name}' cluster indices");
                    if (numel > 0) index.bytes = indexBytes;
                    if (numel > 0 && index.max().item<byte>() >= record.Codebook!.shape[0])
                        throw new InvalidDataException($"tensor '{name}' has a cluster index beyond its {record.Codebook.shape[0]}-value codebook");
                    indices = index.reshape(shape).MoveToOuterDisposeScope();
                }
                if (maskMode != MaskMode.None)
                    mask = torch.tensor(positions ?? explicitMask!).reshape(shape).to(maskType).MoveToOuterDisposeScope();
            }
            var quantization = record?.ToState(indices);
            indices = null;
            record = null;
            return new DecodedTensor(name, isBuffer, value, mask, quantization);
        }
        catch
        {
            value?.Dispose();
            mask?.Dispose();
            indices?.Dispose();
            record?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Quantization record: u8 (0 none, else 1 + StorageType); for float16, bfloat16, int8: u8 has-scale, then axis + 1
    /// (LEB128) and the scale tensor; for cluster (version 2): u8 bits, LEB128 codebook length, the codebook as float32.
    /// </summary>
    private static void WriteQuantization(BinaryWriter writer, QuantizationState? q)
    {
        if (q is null) { writer.Write((byte)0); return; }
        writer.Write((byte)(1 + (int)q.Type));
        if (q.Type == StorageType.Cluster)
        {
            writer.Write((byte)q.Bits);
            using var codebook = q.Codebook!.detach().cpu().to(ScalarType.Float32).contiguous();
            Leb128.Write(writer, codebook.numel());
            writer.Write(codebook.bytes);
            return;
        }
        writer.Write((byte)(q.Scale is null ? 0 : 1));
        if (q.Scale is null) return;
        Leb128.Write(writer, q.Axis + 1);
        using var scale = q.Scale.detach().cpu().contiguous();
        writer.Write((byte)scale.dtype);
        Leb128.Write(writer, scale.shape.Length);
        foreach (var d in scale.shape) Leb128.Write(writer, d);
        writer.Write(scale.bytes);
    }

    /// <summary>A quantization record as read, before a cluster record gets its indices from the values.</summary>
    private sealed class QuantizationRecord : IDisposable
    {
        public StorageType Type { get; init; }
        public Tensor? Scale { get; set; }
        public int Axis { get; init; } = -1;
        public Tensor? Codebook { get; set; }
        public int Bits { get; init; }

        public QuantizationState ToState(Tensor? indices)
        {
            QuantizationState state = Type == StorageType.Cluster
                ? QuantizationState.Clustered(Codebook!, indices ?? throw new InvalidDataException("a codebook without indices"), Bits)
                : new QuantizationState(Type, Scale, Axis);
            Scale = null;
            Codebook = null;
            return state;
        }

        public void Dispose()
        {
            Scale?.Dispose();
            Codebook?.Dispose();
        }
    }

    private static QuantizationRecord? ReadQuantization(BinaryReader reader, string name)
    {
        int type = reader.ReadByte();
        if (type == 0) return null;
        if (type - 1 > (int)StorageType.Cluster) throw new InvalidDataException($"tensor '{name}' has unknown quantization type {type}");
        var storageType = (StorageType)(type - 1);
        if (storageType == StorageType.Cluster)
        {
            int bits = reader.ReadByte();
            if (bits is < 1 or > 8) throw new InvalidDataException($"tensor '{name}' has cluster indices of {bits} bits");
            long length = Leb128.Read(reader);
            if (length < 1 || length > 1L << bits) throw new InvalidDataException($"tensor '{name}' has a {bits}-bit codebook of {length} values");
            var bytes = reader.ReadBytes((int)length * 4);
            if (bytes.Length != length * 4) throw new EndOfStreamException($"tensor '{name}' codebook is cut short");
            var codebook = empty(new[] { length }, ScalarType.Float32);
            codebook.bytes = bytes;
            if (!codebook.isfinite().all().item<bool>())
            {
                codebook.Dispose();
                throw new InvalidDataException($"tensor '{name}' has a codebook value that is not finite");
            }
            return new QuantizationRecord { Type = storageType, Codebook = codebook, Bits = bits };
        }
        if (reader.ReadByte() == 0) return new QuantizationRecord { Type = storageType };
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
            return new QuantizationRecord { Type = storageType, Scale = scale, Axis = axis };
        }
        catch
        {
            scale.Dispose();
            throw;
        }
    }

    private static bool IsFloating(ScalarType t) => t is ScalarType.Float32 or ScalarType.Float64 or ScalarType.Float16 or ScalarType.BFloat16;

    /// <summary>Element-wise equality (NaNs never compare equal, so they keep raw storage).</summary>
    private static bool[] Equal(Tensor a, Tensor b) => (a == b).data<bool>().ToArray();

    /// <summary>The scales shaped to broadcast over the tensor: [C] along the axis, or a scalar.</summary>
    private static Tensor ScaleBroadcast(QuantizationState q, long[] shape) => ScaleBroadcast(q.Scale!, q.Axis, shape);

    private static Tensor ScaleBroadcast(Tensor scales, int axis, long[] shape)
    {
        var scale = scales.detach().cpu();
        if (axis < 0 || scale.dim() == 0) return scale.reshape(Array.Empty<long>());
        if (axis >= shape.Length || scale.numel() != shape[axis])
            throw new InvalidDataException($"{scale.numel()} scales along axis {axis} do not fit shape [{string.Join("x", shape)}]");
        var view = Enumerable.Repeat(1L, shape.Length).ToArray();
        view[axis] = shape[axis];
        return scale.reshape(view);
    }
}

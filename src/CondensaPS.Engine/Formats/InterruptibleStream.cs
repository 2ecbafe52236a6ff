namespace CondensaPS.Engine.Formats;

/// <summary>
/// A write stream that throws <see cref="OperationCanceledException"/> at its next write once its token is cancelled,
/// so a writer that knows nothing of cancellation (a BinaryWriter, a StreamWriter) still stops within one buffer when
/// Ctrl+C or a signal abandons the file it writes.
/// </summary>
internal sealed class InterruptibleStream : Stream
{
    private readonly FileStream _inner;
    private readonly CancellationToken _token;

    public InterruptibleStream(FileStream inner, CancellationToken token)
    {
        _inner = inner;
        _token = token;
    }

    public override bool CanRead => false;
    public override bool CanSeek => _inner.CanSeek;
    public override bool CanWrite => true;
    public override long Length => _inner.Length;
    public override long Position { get => _inner.Position; set => _inner.Position = value; }

    public override void Write(byte[] buffer, int offset, int count)
    {
        _token.ThrowIfCancellationRequested();
        _inner.Write(buffer, offset, count);
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        _token.ThrowIfCancellationRequested();
        _inner.Write(buffer);
    }

    public override void WriteByte(byte value)
    {
        _token.ThrowIfCancellationRequested();
        _inner.WriteByte(value);
    }

    public override void Flush() => _inner.Flush();

    /// <summary>Flushes to the device (fsync) when <paramref name="flushToDisk"/> is set.</summary>
    public void Flush(bool flushToDisk) => _inner.Flush(flushToDisk);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => _inner.Seek(offset, origin);
    public override void SetLength(long value) => _inner.SetLength(value);

    protected override void Dispose(bool disposing)
    {
        if (disposing) _inner.Dispose();
        base.Dispose(disposing);
    }
}

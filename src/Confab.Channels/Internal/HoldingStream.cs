namespace Confab.Channels.Internal;

/// <summary>
/// The stream under a socket's WebSocket, able to hold back its flushes: while a socket's writer holds (on its own
/// thread, for its own stream only, because more frames are queued behind the one it writes), a write is buffered, not
/// flushed; the writer's last frame then goes out with them, so a burst of frames costs one flush and one send.
/// </summary>
/// <remarks>
/// Every write reaches the stream through the WebSocket, which allows one at a time. Writes the WebSocket makes on its
/// own (a pong, a close for a protocol error) come from other threads, are never held, and carry whatever was held
/// before them.
/// </remarks>
internal abstract class HoldingStream : Stream
{
    [ThreadStatic]
    private static HoldingStream? t_holding;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>True while the current thread holds this stream's flushes.</summary>
    protected bool IsHeld => ReferenceEquals(t_holding, this);

    /// <summary>Until <see cref="EndHold"/>, writes this thread makes to <paramref name="stream"/> are buffered, not flushed.</summary>
    public static void HoldFlush(HoldingStream stream) => t_holding = stream;

    public static void EndHold() => t_holding = null;

    public abstract override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default);

    public abstract override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}

using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Confab.Channels.Internal;

/// <summary>
/// Kestrel's upgraded stream as the WebSocket writes to it. A write normally goes straight through (one write and flush
/// of Kestrel's output, as before). While the socket's writer holds (on its own thread, for this stream only) because
/// more frames are queued behind the one it writes, the frame is copied into a rented buffer instead; the writer's last
/// frame then goes out with them in one write, so a burst of frames costs one flush and one send instead of one each.
/// </summary>
/// <remarks>
/// Every write reaches this stream through the WebSocket, which allows one at a time, so the buffer is never used from
/// two threads at once. Writes the WebSocket makes on its own (a pong, a close for a protocol error) come from other
/// threads, are never held, and carry whatever the writer had held before them. The buffer is returned after each
/// write, so an idle socket holds none.
/// </remarks>
internal sealed class BatchingStream(Stream upgraded) : Stream
{
    [ThreadStatic]
    private static BatchingStream? t_holding;

    private byte[]? _held;
    private int _heldLength;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Until <see cref="EndHold"/>, writes this thread makes to <paramref name="stream"/> are copied, not flushed.</summary>
    public static void HoldFlush(BatchingStream stream) => t_holding = stream;

    public static void EndHold() => t_holding = null;

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (ReferenceEquals(t_holding, this))
        {
            Hold(buffer.Span);
            return ValueTask.CompletedTask;
        }

        if (_held is null)
        {
            return upgraded.WriteAsync(buffer, cancellationToken);
        }

        Hold(buffer.Span);
        byte[] batch = _held;
        int length = _heldLength;
        _held = null;
        _heldLength = 0;
        return WriteBatchAsync(batch, length, cancellationToken);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override Task FlushAsync(CancellationToken cancellationToken) => upgraded.FlushAsync(cancellationToken);

    public override void Flush() => upgraded.Flush();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => upgraded.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => upgraded.ReadAsync(buffer, offset, count, cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => upgraded.Read(buffer, offset, count);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            upgraded.Dispose();
            if (_held is { } held)
            {
                _held = null;
                FrameBuffers.Return(held);
            }
        }

        base.Dispose(disposing);
    }

    private void Hold(ReadOnlySpan<byte> bytes)
    {
        if (_held is null || _held.Length - _heldLength < bytes.Length)
        {
            byte[] larger = FrameBuffers.Rent(Math.Max(4096, (_heldLength + bytes.Length) * 2));
            if (_held is { } previous)
            {
                previous.AsSpan(0, _heldLength).CopyTo(larger);
                FrameBuffers.Return(previous);
            }

            _held = larger;
        }

        bytes.CopyTo(_held.AsSpan(_heldLength));
        _heldLength += bytes.Length;
    }

    private async ValueTask WriteBatchAsync(byte[] batch, int length, CancellationToken cancellationToken)
    {
        try
        {
            await upgraded.WriteAsync(batch.AsMemory(0, length), cancellationToken);
        }
        finally
        {
            FrameBuffers.Return(batch);
        }
    }
}

/// <summary>
/// Kestrel's upgrade, with the upgraded stream wrapped in a <see cref="BatchingStream"/> (HTTP/1.1 only; a WebSocket
/// over HTTP/2 goes through another feature and simply writes unbatched).
/// </summary>
internal sealed class BatchingUpgradeFeature(IHttpUpgradeFeature inner) : IHttpUpgradeFeature
{
    public bool IsUpgradableRequest => inner.IsUpgradableRequest;

    /// <summary>The stream handed to the WebSocket, once upgraded.</summary>
    public BatchingStream? Stream { get; private set; }

    /// <summary>Installs the feature on a request that may upgrade; runs before the WebSocket middleware reads it.</summary>
    public static void Install(HttpContext context)
    {
        if (context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade)
        {
            context.Features.Set<IHttpUpgradeFeature>(new BatchingUpgradeFeature(upgrade));
        }
    }

    public async Task<Stream> UpgradeAsync()
    {
        Stream upgraded = await inner.UpgradeAsync();
        Stream = new BatchingStream(upgraded);
        return Stream;
    }
}

using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Confab.Channels.Internal;

/// <summary>
/// Kestrel's upgraded stream (the WebSocket of a request that went through the middleware pipeline), able to hold
/// flushes: a held write is copied into a rented buffer, which goes out with the next write that is not held. The buffer
/// is returned after each write, so an idle socket holds none.
/// </summary>
internal sealed class BatchingStream(Stream upgraded) : HoldingStream
{
    private byte[]? _held;
    private int _heldLength;

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (IsHeld)
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

    public override Task FlushAsync(CancellationToken cancellationToken) => upgraded.FlushAsync(cancellationToken);

    public override void Flush() => upgraded.Flush();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => upgraded.ReadAsync(buffer, cancellationToken);

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

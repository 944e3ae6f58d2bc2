using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Confab.Channels.Internal;

/// <summary>
/// A connection's transport as the stream under its WebSocket, for sockets served straight from the connection
/// (<see cref="SocketConnectionHandler"/>). Reads copy from the input pipe; a zero-byte read waits for data without
/// taking any. Writes go to the <paramref name="socket"/> itself when there is one (Kestrel's own socket, nothing
/// between it and the pipes): one send system call, on the writer's thread, instead of a copy into the output pipe and
/// a hand-over to Kestrel's send loop. Otherwise a write copies into the output pipe and flushes it, and a held write
/// only copies, going out with the next flush.
/// </summary>
/// <remarks>
/// Disposing (the WebSocket does on close and on abort) cancels a pending read or flush, and shuts a socket down under
/// a send that is still waiting, so a reader waiting for a silent client or a writer stuck behind one that stopped
/// reading ends at once; the connection itself is closed by its handler.
/// </remarks>
internal sealed class TransportStream(IDuplexPipe transport, Socket? socket) : HoldingStream
{
    private readonly PipeReader _input = transport.Input;
    private readonly PipeWriter _output = transport.Output;
    private volatile bool _disposed;
    private int _sending;

    /// <summary>Writes straight to the socket: held writes need a <see cref="BatchingStream"/> over this one.</summary>
    public bool WritesToSocket => socket is not null;

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (socket is not null)
        {
            return SendAsync(socket, buffer, cancellationToken);
        }

        _output.Write(buffer.Span);
        if (IsHeld)
        {
            return ValueTask.CompletedTask;
        }

        ValueTask<FlushResult> flush = _output.FlushAsync(cancellationToken);
        if (flush.IsCompletedSuccessfully)
        {
            ThrowIfEnded(flush.Result);
            return ValueTask.CompletedTask;
        }

        return AwaitFlushAsync(flush);
    }

    /// <summary>The WebSocket flushes after every frame: nothing to do when writes go to the socket (or were flushed).</summary>
    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        if (socket is not null)
        {
            return Task.CompletedTask;
        }

        ValueTask<FlushResult> flush = _output.FlushAsync(cancellationToken);
        if (flush.IsCompletedSuccessfully)
        {
            ThrowIfEnded(flush.Result);
            return Task.CompletedTask;
        }

        return AwaitFlushAsync(flush).AsTask();
    }

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ReadResult result = await _input.ReadAsync(cancellationToken);
        if (result.IsCanceled)
        {
            // Only Dispose cancels a read.
            throw new IOException("The connection was aborted.");
        }

        ReadOnlySequence<byte> data = result.Buffer;
        if (buffer.Length == 0 || data.IsEmpty)
        {
            // A zero-byte read: data has arrived (or the client finished sending), none is taken.
            _input.AdvanceTo(data.Start);
            return 0;
        }

        int count = (int)Math.Min(buffer.Length, data.Length);
        data.Slice(0, count).CopyTo(buffer.Span);
        _input.AdvanceTo(data.GetPosition(count));
        return count;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            _input.CancelPendingRead();
            _output.CancelPendingFlush();
            if (socket is not null && Volatile.Read(ref _sending) != 0)
            {
                try
                {
                    socket.Shutdown(SocketShutdown.Both);
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
                {
                    // Already closed.
                }
            }
        }

        base.Dispose(disposing);
    }

    private static void ThrowIfEnded(FlushResult result)
    {
        if (result.IsCanceled || result.IsCompleted)
        {
            throw new IOException("The connection was closed.");
        }
    }

    private async ValueTask SendAsync(Socket target, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        // Usually completes at once (the kernel takes the bytes); waits only when the client's receive window is full.
        Volatile.Write(ref _sending, 1);
        try
        {
            await target.SendAsync(buffer, SocketFlags.None, cancellationToken);
        }
        finally
        {
            Volatile.Write(ref _sending, 0);
        }
    }

    private static async ValueTask AwaitFlushAsync(ValueTask<FlushResult> flush) => ThrowIfEnded(await flush);
}

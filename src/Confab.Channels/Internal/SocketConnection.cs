using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Confab.Channels.Internal;

/// <summary>
/// The transport of one accepted WebSocket: one reader loop that receives frames in order (bounded by
/// <see cref="ChannelOptions.MaxFrameBytes"/>) and hands them to the <see cref="ChannelDispatcher"/>, and one writer
/// task that drains the bounded <see cref="OutboundQueue"/>. It owns the idle timeout and every way of closing:
/// the first close request wins, the writer sends the close frame after the frames it must still deliver, and the
/// connection is aborted if the close does not complete within <see cref="ChannelOptions.CloseTimeout"/>.
/// </summary>
[SuppressMessage("Design", "CA1001", Justification = "A CancellationTokenSource without timers holds nothing to free; timer callbacks may still cancel it after the socket ended, so it is never disposed.")]
internal sealed class SocketConnection : IBroadcastSubscriber
{
    private const int InitialReceiveBytes = 4 * 1024;

    // A burst of queued frames is copied into the output and flushed once, up to this many bytes.
    private const int MaxBatchBytes = 64 * 1024;

    private readonly WebSocket _webSocket;
    private readonly BatchingStream? _batching;
    private readonly ChannelsRuntime _runtime;
    private readonly ChannelOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly OutboundQueue _queue;
    private readonly CancellationTokenSource _abort = new();
    private readonly ChannelDispatcher _dispatcher;
    private readonly Lock _idleGate = new();
    private ITimer? _idleTimer;
    private ITimer? _closeTimer;
    private long _lastReceived;
    private int _closeRequested;
    private WebSocketCloseStatus _closeStatus;
    private string? _closeReason;
    private ChannelTerminateReason _terminateReason = ChannelTerminateReason.Closed;

    public SocketConnection(
        WebSocket webSocket, BatchingStream? batching, FrameSerializer serializer, SocketContext socket, ChannelRouter router, IServiceProvider services, ChannelsRuntime runtime)
    {
        _webSocket = webSocket;
        _batching = batching;
        _runtime = runtime;
        _options = runtime.Options;
        _time = runtime.TimeProvider;
        _logger = runtime.SocketLogger;
        _queue = new OutboundQueue(_options.OutboundQueueCapacity);
        Serializer = serializer;
        Socket = socket;
        _dispatcher = new ChannelDispatcher(this, router, services, runtime);
    }

    public FrameSerializer Serializer { get; }

    public SocketContext Socket { get; }

    public string ConnectionId => Socket.ConnectionId;

    public ILogger Logger => _logger;

    /// <summary>Canceled when the connection is aborted.</summary>
    public CancellationToken Aborted => _abort.Token;

    public async Task RunAsync()
    {
        _runtime.Metrics.SocketOpened();
        ChannelsLog.SocketConnected(_logger, ConnectionId, Serializer == V1Serializer.Instance ? 1 : 2);
        IDisposable? idSubscription = Socket.Id is null ? null : _runtime.PubSub.Subscribe(Socket.Id, this);
        _lastReceived = _time.GetTimestamp();
        _idleTimer = _time.CreateTimer(static state => ((SocketConnection)state!).OnIdleTimer(), this, _options.IdleTimeout, Timeout.InfiniteTimeSpan);
        Task writer = RunWriterAsync();
        try
        {
            await RunReaderAsync();
        }
        catch (Exception ex) when (IsConnectionLoss(ex))
        {
            // Not an abort: the WebSocket may have sent its own close (e.g. 1007 for invalid UTF-8), and a reset would
            // discard it before the client reads it. The writer ends, or the close timer aborts.
            ChannelsLog.ConnectionLost(_logger, ConnectionId, ex);
            RequestClose(WebSocketCloseStatus.NormalClosure, null, discardPending: true);
        }
#pragma warning disable CA1031 // The socket loop is the boundary: log once and drop the connection, never the process.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            ChannelsLog.SocketFailed(_logger, ConnectionId, ex);
            RequestClose(WebSocketCloseStatus.InternalServerError, "server error", discardPending: true);
        }
        finally
        {
            idSubscription?.Dispose();
            lock (_idleGate)
            {
                // Under the lock: a callback running now must not Change a disposed timer (that throws on a timer thread).
                _idleTimer.Dispose();
                _idleTimer = null;
            }
        }

        // Nothing more is read; the writer finishes with a close frame or is aborted by the close timer.
        RequestClose(WebSocketCloseStatus.NormalClosure, null, discardPending: true);
        await _dispatcher.TerminateAllAsync(_terminateReason);
        await writer;
        Volatile.Read(ref _closeTimer)?.Dispose();
        _runtime.Metrics.SocketEnded();
        ChannelsLog.SocketClosed(_logger, ConnectionId, _webSocket.CloseStatus ?? _closeStatus, _closeReason);
    }

    /// <summary>Queues a frame for this socket only; never waits. Overflow closes the socket with 1011.</summary>
    public void Send(in OutboundFrame frame)
    {
        EnqueueResult result = _queue.Enqueue(frame, out int dropped);
        if (dropped > 0)
        {
            _runtime.Metrics.AddDropped(dropped);
            ChannelsLog.FramesDropped(_logger, ConnectionId, dropped);
        }

        if (result == EnqueueResult.Overflow)
        {
            _runtime.Metrics.SlowConsumerClosed();
            ChannelsLog.SlowConsumer(_logger, ConnectionId);
            RequestClose(WebSocketCloseStatus.InternalServerError, "slow consumer", discardPending: true);
        }
    }

    /// <summary>Queues the shared encoding of a broadcast (built once per protocol version, for all sockets).</summary>
    public ChannelsMetrics Metrics => _runtime.Metrics;

    public void SendBroadcast(Broadcast message)
    {
        byte[]? frame = message.GetFrame(Serializer);
        if (frame is null)
        {
            ChannelsLog.BinaryBroadcastSkipped(_logger, ConnectionId, message.Topic);
            return;
        }

        _runtime.Metrics.BroadcastDelivered();
        Send(OutboundFrame.Shared(frame, message.IsBinary, message.Droppable));
    }

    /// <summary>Broadcasts on the socket id topic: <c>"disconnect"</c> closes the socket (Phoenix closes with 1001).</summary>
    public void OnBroadcast(Broadcast message)
    {
        if (message.Event == ChannelEvents.Disconnect)
        {
            ChannelsLog.DisconnectBroadcast(_logger, ConnectionId);
            RequestClose(WebSocketCloseStatus.EndpointUnavailable, "disconnect", discardPending: false);
        }
    }

    /// <summary>
    /// Starts closing, once: no more frames are accepted, the writer sends the close frame (after the queued frames
    /// unless <paramref name="discardPending"/>), and the connection is aborted after the close timeout.
    /// </summary>
    public void RequestClose(WebSocketCloseStatus status, string? reason, bool discardPending, ChannelTerminateReason terminateReason = ChannelTerminateReason.Closed)
    {
        if (Interlocked.Exchange(ref _closeRequested, 1) != 0)
        {
            return;
        }

        _closeStatus = status;
        _closeReason = reason;
        _terminateReason = terminateReason;
        Volatile.Write(ref _closeTimer, _time.CreateTimer(static state => ((SocketConnection)state!).OnCloseTimeout(), this, _options.CloseTimeout, Timeout.InfiniteTimeSpan));
        _queue.Complete(discardPending);
    }

    private bool IsClosing => Volatile.Read(ref _closeRequested) != 0;

    private async Task RunReaderAsync()
    {
        CancellationToken token = _abort.Token;
        while (true)
        {
            ReceivedMessage received = await ReceiveMessageAsync(token);
            if (received.Kind == ReceivedKind.Close)
            {
                // The client's close (or its answer to ours): echo it and stop reading.
                RequestClose(_webSocket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, null, discardPending: true);
                return;
            }

            if (IsClosing)
            {
                // Waiting for the client's close frame: nothing more is handled.
                received.Release();
                continue;
            }

            if (received.Kind == ReceivedKind.TooLarge)
            {
                _runtime.Metrics.FrameTooLargeClosed();
                ChannelsLog.FrameTooLarge(_logger, ConnectionId, _options.MaxFrameBytes);
                RequestClose(WebSocketCloseStatus.MessageTooBig, "frame too large", discardPending: false);
                continue;
            }

            Volatile.Write(ref _lastReceived, _time.GetTimestamp());
            await HandleMessageAsync(received);
        }
    }

    private async ValueTask HandleMessageAsync(ReceivedMessage received)
    {
        var frame = new ReadOnlyMemory<byte>(received.Buffer, 0, received.Length);
        InboundMessage message;
        JsonDocument? document = null;
        string? problem;
        bool decoded = received.Type == WebSocketMessageType.Text
            ? Serializer.TryDecodeText(frame, out message, out document, out problem)
            : Serializer.TryDecodeBinary(frame, out message, out problem);
        if (!decoded)
        {
            received.Release();
            _runtime.Metrics.MalformedFrameClosed();
            ChannelsLog.MalformedFrame(_logger, ConnectionId, problem!);
            var status = received.Type == WebSocketMessageType.Binary && !Serializer.SupportsBinary
                ? WebSocketCloseStatus.InvalidMessageType
                : WebSocketCloseStatus.InvalidPayloadData;
            RequestClose(status, problem, discardPending: false);
            return;
        }

        var lease = new InboundLease(received.Buffer, document);
        bool retained = false;
        try
        {
            retained = await _dispatcher.DispatchAsync(message, lease);
        }
        finally
        {
            if (!retained)
            {
                lease.Dispose();
            }
        }
    }

    /// <summary>
    /// Receives one whole message into a rented buffer, never holding more than MaxFrameBytes + 1 bytes. It first waits
    /// with a zero-byte read, so a socket holds no receive buffer while it is idle (most sockets, most of the time).
    /// </summary>
    private async ValueTask<ReceivedMessage> ReceiveMessageAsync(CancellationToken token)
    {
        ValueWebSocketReceiveResult first = await _webSocket.ReceiveAsync(Memory<byte>.Empty, token);
        if (first.MessageType == WebSocketMessageType.Close)
        {
            return new ReceivedMessage(ReceivedKind.Close, null!, 0, first.MessageType);
        }

        int limit = _options.MaxFrameBytes + 1;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Min(InitialReceiveBytes, limit));
        if (first.EndOfMessage)
        {
            return new ReceivedMessage(ReceivedKind.Message, buffer, 0, first.MessageType); // an empty message
        }

        int length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, limit));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                int room = Math.Min(buffer.Length, limit) - length;
                ValueWebSocketReceiveResult result = await _webSocket.ReceiveAsync(buffer.AsMemory(length, room), token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return new ReceivedMessage(ReceivedKind.Close, null!, 0, result.MessageType);
                }

                length += result.Count;
                if (length > _options.MaxFrameBytes)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return new ReceivedMessage(ReceivedKind.TooLarge, null!, 0, result.MessageType);
                }

                if (result.EndOfMessage)
                {
                    return new ReceivedMessage(ReceivedKind.Message, buffer, length, result.MessageType);
                }
            }
        }
        catch (Exception)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    private async Task RunWriterAsync()
    {
        CancellationToken token = _abort.Token;
        try
        {
            int batched = 0;
            while (true)
            {
                if (_queue.TryDequeue(out OutboundFrame frame, out bool completed, out int remaining))
                {
                    batched += frame.Length;
                    bool hold = _batching is not null && remaining > 0 && batched < MaxBatchBytes;
                    ValueTask sent;
                    try
                    {
                        if (hold)
                        {
                            BatchingStream.HoldFlush(_batching!);
                        }

                        sent = _webSocket.SendAsync(frame.Memory, frame.IsBinary ? WebSocketMessageType.Binary : WebSocketMessageType.Text, endOfMessage: true, token);
                    }
                    catch
                    {
                        frame.Release();
                        throw;
                    }
                    finally
                    {
                        // At once, not after the await: the hold is this thread's, and the thread moves on to other work.
                        BatchingStream.EndHold();
                    }

                    try
                    {
                        await sent;
                    }
                    finally
                    {
                        frame.Release();
                    }

                    batched = hold ? batched : 0;
                    continue;
                }

                if (completed)
                {
                    break;
                }

                await _queue.WaitAsync(token);
            }

            if (_webSocket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await _webSocket.CloseOutputAsync(_closeStatus, _closeStatus == WebSocketCloseStatus.Empty ? null : _closeReason, token);
            }
        }
        catch (Exception ex) when (IsConnectionLoss(ex))
        {
            ChannelsLog.ConnectionLost(_logger, ConnectionId, ex);
            _queue.Complete(discardPending: true);
            Abort();
        }
#pragma warning disable CA1031 // The writer is a boundary too: log once and drop the connection.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            ChannelsLog.SocketFailed(_logger, ConnectionId, ex);
            _queue.Complete(discardPending: true);
            Abort();
        }
    }

    private void OnIdleTimer()
    {
        TimeSpan idle = _time.GetElapsedTime(Volatile.Read(ref _lastReceived));
        if (idle < _options.IdleTimeout)
        {
            lock (_idleGate)
            {
                _idleTimer?.Change(_options.IdleTimeout - idle, Timeout.InfiniteTimeSpan);
            }

            return;
        }

        if (IsClosing)
        {
            return;
        }

        _runtime.Metrics.IdleTimeoutClosed();
        ChannelsLog.IdleTimeout(_logger, ConnectionId, _options.IdleTimeout);
        RequestClose(WebSocketCloseStatus.EndpointUnavailable, "idle timeout", discardPending: false);
    }

    private void OnCloseTimeout()
    {
        if (_webSocket.State is WebSocketState.Closed or WebSocketState.Aborted)
        {
            return;
        }

        ChannelsLog.CloseTimedOut(_logger, ConnectionId, _options.CloseTimeout);
        Abort();
    }

    private void Abort()
    {
        _abort.Cancel();
        _webSocket.Abort();
    }

    private bool IsConnectionLoss(Exception ex)
        => ex is WebSocketException or IOException || (ex is OperationCanceledException && _abort.IsCancellationRequested);

    private enum ReceivedKind
    {
        Message,
        Close,
        TooLarge,
    }

    private readonly record struct ReceivedMessage(ReceivedKind Kind, byte[] Buffer, int Length, WebSocketMessageType Type)
    {
        public void Release()
        {
            if (Kind == ReceivedKind.Message)
            {
                ArrayPool<byte>.Shared.Return(Buffer);
            }
        }
    }
}

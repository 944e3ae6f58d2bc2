using System.Diagnostics.CodeAnalysis;
using System.Net.WebSockets;
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
internal sealed partial class SocketConnection : IBroadcastSubscriber
{
    private readonly WebSocket _webSocket;
    private readonly HoldingStream? _batching;
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
        WebSocket webSocket, HoldingStream? batching, FrameSerializer serializer, SocketContext socket, ChannelRouter router, IServiceProvider services, ChannelsRuntime runtime)
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
            await AwaitClientCloseAsync();
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

    /// <summary>True once the closing handshake completed (both close frames sent), false if the socket was aborted.</summary>
    public bool ClosedCleanly => _webSocket.State == WebSocketState.Closed;

    public void DisposeWebSocket() => _webSocket.Dispose();

    /// <summary>The most frames queued for this socket at once (<see cref="ChannelOptions.OutboundQueueCapacity"/>).</summary>
    public int QueueCapacity => _options.OutboundQueueCapacity;

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
            CloseSlowConsumer();
        }
    }

    /// <summary>The socket cannot take a frame that must arrive: it is closed with 1011, its queued frames discarded.</summary>
    public void CloseSlowConsumer()
    {
        _runtime.Metrics.SlowConsumerClosed();
        ChannelsLog.SlowConsumer(_logger, ConnectionId);
        RequestClose(WebSocketCloseStatus.InternalServerError, "slow consumer", discardPending: true);
    }

    public ChannelsMetrics Metrics => _runtime.Metrics;

    /// <summary>Queues the shared encoding of a broadcast (built once per protocol version, for all sockets).</summary>
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
}

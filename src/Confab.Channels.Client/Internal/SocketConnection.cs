using System.Buffers;
using System.Net.WebSockets;
using System.Threading.Channels;

namespace Confab.Channels.Client.Internal;

/// <summary>
/// One WebSocket connection of a <see cref="PhoenixSocket"/>: a bounded queue of frames and one loop that sends them
/// (a <see cref="ClientWebSocket"/> allows one send at a time), one loop that receives, and its heartbeat. A reconnect
/// makes a new one.
/// </summary>
internal sealed class SocketConnection(int queueCapacity)
{
    private readonly Channel<byte[]> _outgoing = Channel.CreateBounded<byte[]>(
        new BoundedChannelOptions(queueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    private readonly Lock _heartbeatGate = new();
    private CloseRequest? _close;
    private ITimer? _heartbeatTimer;
    private ITimer? _heartbeatTimeout;
    private string? _pendingHeartbeatRef;
    private bool _heartbeatStopped;
    private (TimeProvider Time, TimeSpan Interval, Func<string> MakeRef) _heartbeat;

    public ClientWebSocket WebSocket { get; } = new();

    /// <summary>Completed once the connection has ended and the socket has raised its close.</summary>
    public TaskCompletionSource Ended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Why this side closed, if it did.</summary>
    public CloseRequest? LocalClose => _close is { FromServer: false } close ? close : null;

    /// <summary>Queues a frame; false when the queue is full or the connection is closing.</summary>
    public bool TrySend(byte[] frame) => _outgoing.Writer.TryWrite(frame);

    /// <summary>
    /// Sends what is queued, then a close frame, then (with <paramref name="abort"/>) drops the connection without
    /// waiting for the server's close frame. The first request wins.
    /// </summary>
    public void RequestClose(WebSocketCloseStatus status, string? reason, bool abort, bool fromServer = false)
    {
        Interlocked.CompareExchange(ref _close, new CloseRequest(status, reason, abort, fromServer), null);
        _outgoing.Writer.TryComplete();
    }

    /// <summary>
    /// phoenix.js's heartbeat: <c>[null,"7","phoenix","heartbeat",{}]</c> one <paramref name="interval"/> after the open
    /// and after each reply; a heartbeat with no reply within <paramref name="interval"/> closes the connection with 1000
    /// "heartbeat timeout", without waiting for the server's close (the connection is presumed dead).
    /// </summary>
    public void StartHeartbeat(TimeProvider time, TimeSpan interval, Func<string> makeRef)
    {
        lock (_heartbeatGate)
        {
            _heartbeat = (time, interval, makeRef);
            ScheduleHeartbeat();
        }
    }

    /// <summary>A reply on the <c>phoenix</c> topic: if it answers the pending heartbeat, the next one is scheduled (before this returns).</summary>
    public void HeartbeatReplied(string @ref)
    {
        lock (_heartbeatGate)
        {
            if (@ref != _pendingHeartbeatRef)
            {
                return;
            }

            _pendingHeartbeatRef = null;
            _heartbeatTimeout?.Dispose();
            ScheduleHeartbeat();
        }
    }

    public void StopHeartbeat()
    {
        lock (_heartbeatGate)
        {
            _heartbeatStopped = true;
            _heartbeatTimer?.Dispose();
            _heartbeatTimeout?.Dispose();
        }
    }

    private void ScheduleHeartbeat()
    {
        if (!_heartbeatStopped)
        {
            _heartbeatTimer = _heartbeat.Time.CreateTimer(static state => ((SocketConnection)state!).SendHeartbeat(), this, _heartbeat.Interval, Timeout.InfiniteTimeSpan);
        }
    }

    private void SendHeartbeat()
    {
        lock (_heartbeatGate)
        {
            if (_heartbeatStopped)
            {
                return;
            }

            var heartbeatRef = _pendingHeartbeatRef = _heartbeat.MakeRef();
            TrySend(PhoenixMessage.Encode(null, heartbeatRef, "phoenix", "heartbeat", "{}"u8));
            _heartbeatTimeout = _heartbeat.Time.CreateTimer(
                static state =>
                {
                    var (connection, heartbeatRef) = ((SocketConnection, string))state!;
                    connection.HeartbeatTimedOut(heartbeatRef);
                },
                (this, heartbeatRef),
                _heartbeat.Interval,
                Timeout.InfiniteTimeSpan);
        }
    }

    private void HeartbeatTimedOut(string heartbeatRef)
    {
        lock (_heartbeatGate)
        {
            if (_heartbeatStopped || heartbeatRef != _pendingHeartbeatRef)
            {
                return;
            }

            _pendingHeartbeatRef = null;
        }

        RequestClose(WebSocketCloseStatus.NormalClosure, "heartbeat timeout", abort: true);
    }

    public async Task SendLoopAsync()
    {
        try
        {
            await foreach (var frame in _outgoing.Reader.ReadAllAsync())
            {
                await WebSocket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            }

            if (_close is { } close && WebSocket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await WebSocket.CloseOutputAsync(close.Status, close.Reason, CancellationToken.None);
            }

            if (_close is { Abort: true })
            {
                WebSocket.Abort();
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The connection is lost: make the receive loop see it too.
            WebSocket.Abort();
        }
    }

    /// <summary>Hands every complete text message to <paramref name="onMessage"/> until the connection ends; returns how it ended.</summary>
    public async Task<(int? Status, string? Reason)> ReceiveLoopAsync(Action<ReadOnlySpan<byte>> onMessage, int maxMessageBytes)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        try
        {
            while (true)
            {
                var result = await WebSocket.ReceiveAsync(buffer.GetMemory(4096), CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    RequestClose(WebSocket.CloseStatus ?? WebSocketCloseStatus.NormalClosure, null, abort: false, fromServer: true);
                    return LocalClose is { } local ? ((int)local.Status, local.Reason) : ((int?)WebSocket.CloseStatus, WebSocket.CloseStatusDescription);
                }

                buffer.Advance(result.Count);
                if (buffer.WrittenCount > maxMessageBytes)
                {
                    RequestClose(WebSocketCloseStatus.MessageTooBig, "message too big", abort: true);
                    buffer.ResetWrittenCount(); // keep reading, without keeping, until the abort ends the loop
                    continue;
                }

                if (result.EndOfMessage)
                {
                    if (result.MessageType == WebSocketMessageType.Text && LocalClose is null)
                    {
                        onMessage(buffer.WrittenSpan);
                    }

                    buffer.ResetWrittenCount();
                }
            }
        }
        catch (Exception e) when (e is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            _outgoing.Writer.TryComplete();
            return LocalClose is { } local ? ((int)local.Status, local.Reason) : (1006, e.Message);
        }
    }

    /// <summary>A close this side asked for (or the answer to the server's).</summary>
    public sealed record CloseRequest(WebSocketCloseStatus Status, string? Reason, bool Abort, bool FromServer);
}

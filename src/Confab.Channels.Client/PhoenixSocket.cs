using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Confab.Channels.Client.Internal;

namespace Confab.Channels.Client;

/// <summary>
/// A Phoenix Channels socket over <see cref="ClientWebSocket"/> that behaves as phoenix.js's <c>Socket</c> (V2 JSON):
/// it connects to <c>{endpoint}/websocket?{params}&amp;vsn=2.0.0</c>, sends a heartbeat (<c>[null,"7","phoenix","heartbeat",{}]</c>)
/// every <see cref="PhoenixSocketOptions.HeartbeatInterval"/> and closes and reconnects when one gets no reply in that
/// time, reconnects after any close it did not ask for (waits of 10, 50, 100 ... ms, then 5 s; the params are asked for
/// again each time), rejoins its channels after a reconnect, and keeps frames sent while it is down, up to
/// <see cref="PhoenixSocketOptions.OutgoingBufferSize"/>, until it is up again.
/// </summary>
/// <remarks>
/// It runs no thread of its own and never blocks: timers come from <see cref="PhoenixSocketOptions.TimeProvider"/>, so it
/// runs in browser WebAssembly. Events are raised from the receive loop; a handler that throws is reported through
/// <see cref="Error"/> and does not stop the socket.
/// <code>
/// await using var socket = new PhoenixSocket(new Uri("wss://chat.example/socket"), () => new Dictionary&lt;string, string&gt; { ["token"] = token });
/// await socket.ConnectAsync();
/// var room = socket.Channel("room:general");
/// var joined = await room.JoinAsync();
/// </code>
/// </remarks>
public sealed class PhoenixSocket : IAsyncDisposable
{
    /// <summary>The serializer version this client speaks.</summary>
    public const string Vsn = "2.0.0";

    private readonly Uri _endpoint;
    private readonly Func<IReadOnlyDictionary<string, string>> _parameters;
    private readonly Lock _gate = new();
    private readonly Backoff _reconnect;
    private readonly Queue<(byte[] Frame, OutgoingPush? Push)> _sendBuffer = new();
    private PhoenixChannel[] _channels = [];
    private SocketConnection? _connection;
    private PhoenixSocketState _state;
    private bool _closeWasClean = true;
    private bool _disposed;
    private long _nextRef;
    private TaskCompletionSource? _opening;

    /// <summary>Creates a socket; nothing happens until <see cref="ConnectAsync"/>.</summary>
    /// <param name="endpoint">The socket's URL without <c>/websocket</c>, e.g. <c>wss://chat.example/socket</c> (http and https work too).</param>
    /// <param name="parameters">The query params of each connect, asked for again before every attempt, e.g. a fresh token.</param>
    /// <param name="options">Timeouts, waits and limits; phoenix.js's defaults when null.</param>
    public PhoenixSocket(Uri endpoint, Func<IReadOnlyDictionary<string, string>>? parameters = null, PhoenixSocketOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        _endpoint = endpoint;
        _parameters = parameters ?? (static () => new Dictionary<string, string>());
        Options = options ?? new PhoenixSocketOptions();
        _reconnect = new Backoff(() => _ = OpenAsync(), Options.ReconnectAfter, Options.TimeProvider);
    }

    /// <summary>Raised when a connection opens (the first and every reconnect).</summary>
    public event Action? Opened;

    /// <summary>Raised when a connection ends or an attempt fails.</summary>
    public event Action<PhoenixSocketClosed>? Closed;

    /// <summary>Raised when an attempt to connect fails (a <see cref="PhoenixConnectionException"/>), a frame cannot be read, or a handler throws.</summary>
    public event Action<Exception>? Error;

    /// <summary>Raised for every message received, before it reaches its channels (phoenix.js's <c>onMessage</c>).</summary>
    public event Action<PhoenixMessage>? MessageReceived;

    /// <summary>The socket's options.</summary>
    public PhoenixSocketOptions Options { get; }

    /// <summary>Where the connection stands.</summary>
    public PhoenixSocketState State => _state;

    /// <summary>True while connected.</summary>
    public bool IsConnected => _state == PhoenixSocketState.Open;

    /// <summary>
    /// A channel for <paramref name="topic"/>; join it with <see cref="PhoenixChannel.JoinAsync"/>. <paramref name="joinParams"/>
    /// is asked for at every join and rejoin, so it can carry what the client has seen so far (e.g. <c>{"last_seq": 12}</c>).
    /// </summary>
    public PhoenixChannel Channel(string topic, Func<JsonElement>? joinParams = null) =>
        Channel(topic, joinParams is null ? null : writer => joinParams().WriteTo(writer));

    /// <summary>A channel whose join params are written by <paramref name="writeJoinParams"/> (one JSON object) at every join.</summary>
    public PhoenixChannel Channel(string topic, Action<Utf8JsonWriter>? writeJoinParams)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        var channel = new PhoenixChannel(this, topic, writeJoinParams);
        lock (_gate)
        {
            _channels = [.. _channels, channel];
        }

        return channel;
    }

    /// <summary>
    /// Connects, and completes when the connection is open. When the attempt fails this throws a
    /// <see cref="PhoenixConnectionException"/> that says why (e.g. HTTP 403), and the socket goes on retrying with its
    /// waits, as phoenix.js does, until <see cref="DisconnectAsync"/> or <see cref="DisposeAsync"/>.
    /// </summary>
    public async Task ConnectAsync(CancellationToken cancellationToken = default)
    {
        TaskCompletionSource opening;
        bool start;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_state == PhoenixSocketState.Open)
            {
                return;
            }

            opening = _opening ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            start = _closeWasClean;
            _closeWasClean = false;
        }

        if (start)
        {
            _reconnect.Reset();
            _ = OpenAsync();
        }

        await opening.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Closes the connection (code 1000) after the frames already queued, waits up to <see cref="PhoenixSocketOptions.Timeout"/>
    /// for the server's close, and stops reconnecting. Channels go errored and rejoin after the next <see cref="ConnectAsync"/>.
    /// </summary>
    public async Task DisconnectAsync(CancellationToken cancellationToken = default)
    {
        SocketConnection? connection;
        TaskCompletionSource? opening;
        lock (_gate)
        {
            _closeWasClean = true;
            connection = _connection;
            opening = _opening;
            _opening = null;
        }

        _reconnect.Reset();
        opening?.TrySetCanceled(CancellationToken.None);
        if (connection is null)
        {
            return;
        }

        if (connection.WebSocket.State == WebSocketState.Connecting)
        {
            connection.WebSocket.Abort();
        }

        connection.RequestClose(WebSocketCloseStatus.NormalClosure, null, abort: false);
        try
        {
            await connection.Ended.Task.WaitAsync(Options.Timeout, Options.TimeProvider, cancellationToken);
        }
        catch (TimeoutException)
        {
            connection.WebSocket.Abort();
            await connection.Ended.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Disconnects and stops every timer.</summary>
    public async ValueTask DisposeAsync()
    {
        await DisconnectAsync();
        lock (_gate)
        {
            _disposed = true;
        }
    }

    internal Lock Gate => _gate;

    internal string MakeRef() => Interlocked.Increment(ref _nextRef).ToString(CultureInfo.InvariantCulture);

    /// <summary>Sends a frame now, or keeps it until the socket opens (skipped then if <paramref name="push"/> has completed); false when the buffer is full.</summary>
    internal bool Send(byte[] frame, OutgoingPush? push)
    {
        lock (_gate)
        {
            if (_state == PhoenixSocketState.Open && _connection is { } connection)
            {
                return connection.TrySend(frame);
            }

            if (_sendBuffer.Count >= Options.OutgoingBufferSize)
            {
                var kept = _sendBuffer.Where(entry => entry.Push is not { IsCompleted: true }).ToList();
                _sendBuffer.Clear();
                kept.ForEach(_sendBuffer.Enqueue);
                if (_sendBuffer.Count >= Options.OutgoingBufferSize)
                {
                    return false;
                }
            }

            _sendBuffer.Enqueue((frame, push));
            return true;
        }
    }

    internal void Remove(PhoenixChannel channel)
    {
        lock (_gate)
        {
            _channels = Array.FindAll(_channels, c => c != channel);
        }
    }

    /// <summary>Leaves the other channels of <paramref name="topic"/> that are joined or joining (phoenix.js's <c>leaveOpenTopic</c>).</summary>
    internal void LeaveOpenTopic(string topic, PhoenixChannel except)
    {
        foreach (var other in _channels)
        {
            if (other != except && other.Topic == topic && other.State is PhoenixChannelState.Joined or PhoenixChannelState.Joining)
            {
                _ = other.LeaveAsync();
            }
        }
    }

    /// <summary>Reports a failure of user code (a handler, a params function) without stopping the socket.</summary>
    internal void Report(Exception error)
    {
        try
        {
            Error?.Invoke(error);
        }
        catch (Exception)
        {
            // An Error handler that throws has nobody left to tell.
        }
    }

    /// <summary>Runs a user callback; what it throws goes to <see cref="Error"/>.</summary>
    internal void Guard<T>(Action<T>? handler, T argument)
    {
        try
        {
            handler?.Invoke(argument);
        }
        catch (Exception e)
        {
            Report(e);
        }
    }

    /// <summary>One connection attempt, and, if it opens, the connection's life until it ends.</summary>
    private async Task OpenAsync()
    {
        var connection = new SocketConnection(Options.OutgoingBufferSize);
        lock (_gate)
        {
            if (_closeWasClean || _connection is not null)
            {
                return;
            }

            _connection = connection;
            _state = PhoenixSocketState.Connecting;
        }

        try
        {
            var uri = SocketUri(_parameters());
            Options.ConfigureWebSocket?.Invoke(connection.WebSocket.Options);
            if (!OperatingSystem.IsBrowser())
            {
                connection.WebSocket.Options.CollectHttpResponseDetails = true;
            }

            using var timeout = new CancellationTokenSource(Options.Timeout, Options.TimeProvider);
            await connection.WebSocket.ConnectAsync(uri, timeout.Token);
        }
        catch (Exception e)
        {
            OpenFailed(connection, e);
            return;
        }

        TaskCompletionSource? opening;
        lock (_gate)
        {
            _state = PhoenixSocketState.Open;
            opening = _opening;
            _opening = null;
            while (_sendBuffer.TryDequeue(out var entry))
            {
                if (entry.Push is not { IsCompleted: true })
                {
                    connection.TrySend(entry.Frame);
                }
            }

            connection.StartHeartbeat(Options.TimeProvider, Options.HeartbeatInterval, MakeRef);
        }

        _reconnect.Reset();
        var sending = connection.SendLoopAsync();
        Guard(static opened => opened?.Invoke(), Opened);
        opening?.TrySetResult();
        foreach (var channel in _channels)
        {
            channel.SocketOpened();
        }

        var (status, reason) = await connection.ReceiveLoopAsync(frame => Dispatch(connection, frame), Options.MaxMessageBytes);
        connection.RequestClose(WebSocketCloseStatus.NormalClosure, null, abort: false);
        await sending;
        connection.WebSocket.Dispose();
        Ended(connection, new PhoenixSocketClosed(status ?? 1005, reason, WillReconnect: false));
    }

    private void OpenFailed(SocketConnection connection, Exception cause)
    {
        int? httpStatus = !OperatingSystem.IsBrowser() && connection.WebSocket.HttpStatusCode != 0 ? (int)connection.WebSocket.HttpStatusCode : null;
        connection.WebSocket.Dispose();
        var retry = Ended(connection, new PhoenixSocketClosed(1006, cause.Message, WillReconnect: false), raiseClosed: false);
        var why = httpStatus is { } status
            ? $"the server refused the WebSocket upgrade with HTTP {status}{(status == 403 ? " (a Phoenix server refuses bad params, such as a missing or expired token, with 403)" : "")}"
            : $"{cause.GetType().Name}: {cause.Message}";
        var error = new PhoenixConnectionException(
            $"Could not connect to {_endpoint.GetLeftPart(UriPartial.Path)}: {why}.{(retry is { } wait ? $" Retrying in {wait.TotalMilliseconds:0} ms." : "")}",
            httpStatus,
            cause);
        TaskCompletionSource? opening;
        lock (_gate)
        {
            opening = _opening;
            _opening = null;
        }

        Report(error);
        Guard(Closed, new PhoenixSocketClosed(1006, why, retry is not null));
        opening?.TrySetException(error);
    }

    /// <summary>After a connection or an attempt: schedules the reconnect, errors the channels, raises <see cref="Closed"/>; returns the wait before the next attempt.</summary>
    private TimeSpan? Ended(SocketConnection connection, PhoenixSocketClosed closed, bool raiseClosed = true)
    {
        TimeSpan? retry = null;
        lock (_gate)
        {
            connection.StopHeartbeat();
            if (_connection == connection)
            {
                _connection = null;
                _state = PhoenixSocketState.Closed;
            }

            if (!_closeWasClean)
            {
                retry = _reconnect.Schedule();
            }
        }

        foreach (var channel in _channels)
        {
            channel.SocketClosed();
        }

        if (raiseClosed)
        {
            Guard(Closed, closed with { WillReconnect = retry is not null });
        }

        connection.Ended.TrySetResult();
        return retry;
    }

    private void Dispatch(SocketConnection connection, ReadOnlySpan<byte> frame)
    {
        PhoenixMessage message;
        try
        {
            message = PhoenixMessage.Parse(frame);
        }
        catch (JsonException e)
        {
            Report(e);
            return;
        }

        if (message.Topic == "phoenix" && message.Ref is not null)
        {
            connection.HeartbeatReplied(message.Ref);
        }

        Guard(MessageReceived, message);
        foreach (var channel in _channels)
        {
            if (channel.Topic == message.Topic)
            {
                channel.Receive(message);
            }
        }
    }

    private Uri SocketUri(IReadOnlyDictionary<string, string> parameters)
    {
        var builder = new UriBuilder(_endpoint);
        builder.Scheme = builder.Scheme switch { "https" or "wss" => "wss", _ => "ws" };
        builder.Path = builder.Path.TrimEnd('/') + "/websocket";
        var query = new StringBuilder();
        foreach (var (name, value) in parameters)
        {
            query.Append(Uri.EscapeDataString(name)).Append('=').Append(Uri.EscapeDataString(value)).Append('&');
        }

        builder.Query = query.Append("vsn=").Append(Vsn).ToString();
        return builder.Uri;
    }
}

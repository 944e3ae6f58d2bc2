using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Confab.Channels.Client.Internal;

namespace Confab.Channels.Client;

/// <summary>
/// One topic on a <see cref="PhoenixSocket"/>, as phoenix.js's <c>Channel</c>: join it, push events and await their replies,
/// receive the server's events with <see cref="On"/>. After a lost connection it rejoins as soon as the socket is
/// back; after a refused or timed-out join it rejoins after 1, 2, 5, then every 10 s. Each join asks for the join params
/// again. Messages carrying the ref of an earlier join are ignored.
/// </summary>
/// <remarks>
/// Frames: join <c>["3","3","room:lobby","phx_join",{"last_seq":7}]</c>, its reply <c>["3","3","room:lobby","phx_reply",{"status":"ok","response":{...}}]</c>,
/// a push <c>["3","6","room:lobby","new_msg",{"body":"hi"}]</c>, a broadcast <c>[null,null,"room:lobby","new_msg",{...}]</c>.
/// </remarks>
public sealed partial class PhoenixChannel
{
    private readonly PhoenixSocket _socket;
    private readonly Action<Utf8JsonWriter>? _writeJoinParams;
    private readonly Backoff _rejoin;
    private readonly Dictionary<string, OutgoingPush> _pending = [];
    private readonly Queue<OutgoingPush> _buffer = new();
    private readonly TaskCompletionSource<PhoenixReply> _firstJoin = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Binding[] _bindings = [];
    private PhoenixChannelState _state;
    private bool _joinedOnce;
    private bool _left;
    private TimeSpan _joinTimeout;
    private OutgoingPush? _joinPush;
    private OutgoingPush? _leavePush;
    private string? _joinRef;

    internal PhoenixChannel(PhoenixSocket socket, string topic, Action<Utf8JsonWriter>? writeJoinParams)
    {
        _socket = socket;
        _writeJoinParams = writeJoinParams;
        Topic = topic;
        _joinTimeout = socket.Options.Timeout;
        _rejoin = new Backoff(RejoinAfterWait, socket.Options.RejoinAfter, socket.Options.TimeProvider);
    }

    /// <summary>Raised with every reply to a join: the first and each rejoin's (ok, error, or a local timeout).</summary>
    public event Action<PhoenixReply>? JoinReplied;

    /// <summary>Raised when the channel has closed: left, or stopped by the server (<c>phx_close</c>). It does not rejoin.</summary>
    public event Action? Closed;

    /// <summary>Raised when the server reports the channel crashed (<c>phx_error</c>) or the connection was lost; it will rejoin.</summary>
    public event Action? Errored;

    /// <summary>The topic, e.g. <c>"room:lobby"</c>.</summary>
    public string Topic { get; }

    /// <summary>The channel's state.</summary>
    public PhoenixChannelState State => _state;

    /// <summary>The ref of the current join (a new one for every rejoin), or null before the first.</summary>
    public string? JoinRef => _joinRef;

    /// <summary>
    /// Calls <paramref name="handler"/> with the payload of every <paramref name="event"/> the server sends on this topic
    /// (while not leaving or closed); dispose the result to stop.
    /// </summary>
    public IDisposable On(string @event, Action<JsonElement> handler)
    {
        ArgumentException.ThrowIfNullOrEmpty(@event);
        ArgumentNullException.ThrowIfNull(handler);
        var binding = new Binding(this, @event, handler);
        lock (_socket.Gate)
        {
            _bindings = [.. _bindings, binding];
        }

        return binding;
    }

    /// <summary>
    /// Joins, and returns the first reply: ok with the server's response, error with its reason (e.g.
    /// <c>{"reason": "room not found"}</c>), or a timeout. After an error or timeout the channel keeps trying, as phoenix.js
    /// does, until <see cref="LeaveAsync"/>; watch <see cref="JoinReplied"/> for the later replies. Once per channel.
    /// </summary>
    public Task<PhoenixReply> JoinAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        lock (_socket.Gate)
        {
            if (_joinedOnce)
            {
                throw new InvalidOperationException($"JoinAsync was called twice on the channel for '{Topic}': a channel joins once and rejoins by itself; for a new join make a new channel.");
            }

            _joinedOnce = true;
            _joinTimeout = timeout ?? _socket.Options.Timeout;
        }

        Rejoin();
        return _firstJoin.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Pushes <paramref name="event"/> with <paramref name="payload"/> (an object) and returns the reply, or a timeout.</summary>
    public Task<PhoenixReply> PushAsync(string @event, JsonElement payload, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        PushAsync(@event, payload.WriteTo, timeout, cancellationToken);

    /// <summary>Pushes <paramref name="payload"/>, serialized through <paramref name="typeInfo"/> (source-generated, no reflection).</summary>
    public Task<PhoenixReply> PushAsync<T>(string @event, T payload, JsonTypeInfo<T> typeInfo, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        PushAsync(@event, writer => JsonSerializer.Serialize(writer, payload, typeInfo), timeout, cancellationToken);

    /// <summary>
    /// Pushes <paramref name="event"/> with the payload <paramref name="writePayload"/> writes (one JSON object) and returns
    /// the reply: ok or error as the server answered, or <see cref="PhoenixReply.TimeoutStatus"/> when no reply came within
    /// <paramref name="timeout"/> (default <see cref="PhoenixSocketOptions.Timeout"/>). Before the channel is joined, or
    /// while the socket is down, the push waits (its timeout running) and is sent once joined.
    /// </summary>
    public async Task<PhoenixReply> PushAsync(string @event, Action<Utf8JsonWriter> writePayload, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(@event);
        var push = new OutgoingPush(@event, PhoenixMessage.Json(writePayload));
        lock (_socket.Gate)
        {
            if (!_joinedOnce || _state == PhoenixChannelState.Closed)
            {
                throw new InvalidOperationException(
                    $"Cannot push '{@event}' on '{Topic}': the channel is {(_joinedOnce ? "closed" : "not joined; call JoinAsync first")}.");
            }

            push.StartTimeout(_socket.Options.TimeProvider, timeout ?? _socket.Options.Timeout, PushTimedOut);
            if (_state == PhoenixChannelState.Joined && _socket.IsConnected)
            {
                Send(push);
            }
            else if (_buffer.Count < _socket.Options.OutgoingBufferSize)
            {
                _buffer.Enqueue(push);
            }
            else
            {
                push.Complete(PhoenixReply.OutgoingBufferFull);
            }
        }

        return await push.Reply.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Leaves: stops delivering events and rejoining at once, sends <c>phx_leave</c> and returns its reply (or a timeout);
    /// the channel is then closed. When the socket is down it closes at once and returns ok.
    /// </summary>
    public async Task<PhoenixReply> LeaveAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        OutgoingPush? leave = null;
        lock (_socket.Gate)
        {
            if (_state == PhoenixChannelState.Closed)
            {
                return PhoenixReply.LocalOk;
            }

            if (_state == PhoenixChannelState.Leaving && _leavePush is { } leaving)
            {
                leave = leaving;
            }
            else
            {
                _rejoin.Reset();
                AbandonJoin();
                var live = _socket.IsConnected && _state is PhoenixChannelState.Joined or PhoenixChannelState.Joining;
                _state = PhoenixChannelState.Leaving;
                if (live)
                {
                    leave = _leavePush = new OutgoingPush("phx_leave", "{}"u8.ToArray());
                    leave.StartTimeout(_socket.Options.TimeProvider, timeout ?? _socket.Options.Timeout, LeaveTimedOut);
                    Send(leave);
                }
            }
        }

        if (leave is null)
        {
            CloseLocally();
            return PhoenixReply.LocalOk;
        }

        return await leave.Reply.WaitAsync(cancellationToken);
    }

    private sealed class Binding(PhoenixChannel channel, string @event, Action<JsonElement> handler) : IDisposable
    {
        public string Event { get; } = @event;

        public Action<JsonElement> Handler { get; } = handler;

        public void Dispose()
        {
            lock (channel._socket.Gate)
            {
                channel._bindings = Array.FindAll(channel._bindings, b => b != this);
            }
        }
    }
}

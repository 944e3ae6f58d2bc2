using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Confab.Channels.Client.Internal;

namespace Confab.Channels.Client;

/// <summary>A channel's state, as phoenix.js's.</summary>
public enum PhoenixChannelState
{
    /// <summary>Not joined yet, or left, or closed by the server (<c>phx_close</c>): it will not rejoin.</summary>
    Closed,

    /// <summary>A join was sent; waiting for its reply.</summary>
    Joining,

    /// <summary>Joined: pushes are sent at once.</summary>
    Joined,

    /// <summary>A leave was sent; waiting for its reply. Events are no longer delivered.</summary>
    Leaving,

    /// <summary>The join failed, timed out or crashed, or the connection was lost: it will rejoin.</summary>
    Errored,
}

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
public sealed class PhoenixChannel
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

    /// <summary>A message for this topic from the socket.</summary>
    internal void Receive(PhoenixMessage message)
    {
        if (message.JoinRef is not null && message.JoinRef != _joinRef)
        {
            return; // for an earlier join of this topic
        }

        switch (message.Event)
        {
            case "phx_reply":
                Replied(message.Ref, PhoenixReply.From(message.Payload));
                break;
            case "phx_close":
                CloseLocally();
                break;
            case "phx_error":
                ServerError();
                break;
            default:
                if (_state is not (PhoenixChannelState.Leaving or PhoenixChannelState.Closed))
                {
                    foreach (var binding in _bindings)
                    {
                        if (binding.Event == message.Event)
                        {
                            _socket.Guard(binding.Handler, message.Payload);
                        }
                    }
                }

                break;
        }
    }

    /// <summary>The socket (re)opened: an errored channel rejoins at once.</summary>
    internal void SocketOpened()
    {
        _rejoin.Reset();
        if (_state == PhoenixChannelState.Errored)
        {
            Rejoin();
        }
    }

    /// <summary>The connection ended: the server has dropped the channel.</summary>
    internal void SocketClosed()
    {
        bool errored;
        bool leaving;
        lock (_socket.Gate)
        {
            _rejoin.Reset();
            leaving = _state == PhoenixChannelState.Leaving;
            errored = _state is PhoenixChannelState.Joined or PhoenixChannelState.Joining;
            if (errored)
            {
                AbandonJoin();
                _state = PhoenixChannelState.Errored;
            }
        }

        if (leaving)
        {
            CloseLocally(); // the server dropped the channel with the connection: the leave is done
        }
        else if (errored)
        {
            _socket.Guard(static errored => errored?.Invoke(), Errored);
        }
    }

    private void Rejoin()
    {
        byte[] payload;
        try
        {
            payload = _writeJoinParams is null ? "{}"u8.ToArray() : PhoenixMessage.Json(_writeJoinParams);
        }
        catch (Exception e)
        {
            // The caller's params function failed: report it and try again later, as after a refused join.
            _socket.Report(e);
            lock (_socket.Gate)
            {
                _state = PhoenixChannelState.Errored;
                _rejoin.Schedule();
            }

            return;
        }

        _socket.LeaveOpenTopic(Topic, except: this);
        lock (_socket.Gate)
        {
            if (_state == PhoenixChannelState.Leaving || _left)
            {
                return; // left meanwhile
            }

            AbandonJoin();
            var join = _joinPush = new OutgoingPush("phx_join", payload);
            _joinRef = join.Ref = _socket.MakeRef();
            _state = PhoenixChannelState.Joining;
            join.StartTimeout(_socket.Options.TimeProvider, _joinTimeout, JoinTimedOut);
            if (!_socket.Send(PhoenixMessage.Encode(_joinRef, _joinRef, Topic, join.Event, join.Payload), join))
            {
                join.Complete(PhoenixReply.OutgoingBufferFull);
            }
        }
    }

    private void RejoinAfterWait()
    {
        if (_state == PhoenixChannelState.Errored && _socket.IsConnected)
        {
            Rejoin();
        }
    }

    private void Replied(string? @ref, PhoenixReply reply)
    {
        OutgoingPush? push = null;
        bool isJoin;
        lock (_socket.Gate)
        {
            isJoin = _joinPush is { } join && join.Ref == @ref;
            if (isJoin)
            {
                push = _joinPush;
                _joinPush = null;
                if (_state == PhoenixChannelState.Joining)
                {
                    if (reply.IsOk)
                    {
                        _state = PhoenixChannelState.Joined;
                        _rejoin.Reset();
                        while (_buffer.TryDequeue(out var waiting))
                        {
                            if (!waiting.IsCompleted)
                            {
                                Send(waiting);
                            }
                        }
                    }
                    else
                    {
                        _state = PhoenixChannelState.Errored;
                        ScheduleRejoin();
                    }
                }
            }
            else if (@ref is not null && _pending.Remove(@ref, out var answered))
            {
                push = answered;
            }
        }

        if (push is null || !push.Complete(reply))
        {
            return;
        }

        if (isJoin)
        {
            _firstJoin.TrySetResult(reply);
            _socket.Guard(JoinReplied, reply);
        }
        else if (push == _leavePush)
        {
            CloseLocally();
        }
    }

    private void JoinTimedOut(OutgoingPush join)
    {
        lock (_socket.Gate)
        {
            if (join != _joinPush)
            {
                return;
            }

            _joinPush = null;
            // As phoenix.js: tell the server to drop the join that may still complete, then rejoin on the schedule.
            if (_socket.IsConnected)
            {
                _socket.Send(PhoenixMessage.Encode(_joinRef, _socket.MakeRef(), Topic, "phx_leave", "{}"u8), null);
            }

            _state = PhoenixChannelState.Errored;
            ScheduleRejoin();
        }

        if (join.Complete(PhoenixReply.TimedOut))
        {
            _firstJoin.TrySetResult(PhoenixReply.TimedOut);
            _socket.Guard(JoinReplied, PhoenixReply.TimedOut);
        }
    }

    private void PushTimedOut(OutgoingPush push)
    {
        lock (_socket.Gate)
        {
            if (push.Ref is { } sentAs)
            {
                _pending.Remove(sentAs);
            }
        }

        push.Complete(PhoenixReply.TimedOut);
    }

    private void LeaveTimedOut(OutgoingPush leave)
    {
        PushTimedOut(leave);
        CloseLocally();
    }

    private void ServerError()
    {
        lock (_socket.Gate)
        {
            if (_state is PhoenixChannelState.Leaving or PhoenixChannelState.Closed)
            {
                return;
            }

            AbandonJoin();
            _state = PhoenixChannelState.Errored;
            ScheduleRejoin();
        }

        _socket.Guard(static errored => errored?.Invoke(), Errored);
    }

    private void CloseLocally()
    {
        lock (_socket.Gate)
        {
            if (_state == PhoenixChannelState.Closed)
            {
                return;
            }

            _rejoin.Reset();
            AbandonJoin();
            _leavePush?.Complete(PhoenixReply.LocalOk);
            _state = PhoenixChannelState.Closed;
            _left = true;
        }

        _socket.Remove(this);
        _socket.Guard(static closed => closed?.Invoke(), Closed);
    }

    /// <summary>Sends a push of this join with a fresh ref and waits for its reply (caller holds the gate).</summary>
    private void Send(OutgoingPush push)
    {
        push.Ref = _socket.MakeRef();
        _pending[push.Ref] = push;
        if (!_socket.Send(PhoenixMessage.Encode(_joinRef, push.Ref, Topic, push.Event, push.Payload), push))
        {
            _pending.Remove(push.Ref);
            push.Complete(PhoenixReply.OutgoingBufferFull);
        }
    }

    private void ScheduleRejoin()
    {
        if (_socket.IsConnected)
        {
            _rejoin.Schedule();
        }
    }

    /// <summary>Forgets the join waiting for its reply (its reply, if it comes, is then ignored).</summary>
    private void AbandonJoin()
    {
        _joinPush?.Complete(PhoenixReply.TimedOut);
        _joinPush = null;
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

using System.Diagnostics.CodeAnalysis;

namespace Confab.Channels.Internal;

/// <summary>
/// The library's side of one joined channel: its join_ref, its pub/sub subscription (with the broadcasts held while it
/// joins), its presences, its end token, and the bookkeeping that lets <see cref="ChannelContext.Stop"/> wait for the
/// running callback's reply.
/// </summary>
[SuppressMessage("Design", "CA1001", Justification = "A CancellationTokenSource without timers holds nothing to free; channel code may read Ended after the channel ends, so it is never disposed.")]
internal sealed class ChannelEntry : IBroadcastSubscriber
{
    // _state: the closed flag and, below it, how many publishers are delivering to this channel right now.
    private const int ClosedBit = 1 << 30;

    private readonly CancellationTokenSource _ended = new();
    private readonly Lock _gate = new(); // guards the held broadcasts and the presences
    private List<Broadcast>? _held;
    private bool _joined;
    private List<PresenceHandle>? _presences;
    private bool _presencesReleased;
    private IDisposable? _subscription;
    private int _state;
    private int _busy;
    private int _stopRequested;

    public ChannelEntry(ChannelDispatcher dispatcher, string topic, string? joinRef, Channel channel, ChannelsRuntime runtime)
    {
        Dispatcher = dispatcher;
        Topic = topic;
        JoinRef = joinRef;
        Channel = channel;
        Context = new ChannelContext(this, runtime);
        channel.Context = Context;
    }

    public ChannelDispatcher Dispatcher { get; }

    public SocketConnection Connection => Dispatcher.Connection;

    public string Topic { get; }

    public string? JoinRef { get; }

    public Channel Channel { get; }

    public ChannelContext Context { get; }

    public CancellationToken Ended => _ended.Token;

    public bool IsClosed => (Volatile.Read(ref _state) & ClosedBit) != 0;

    /// <summary>
    /// Subscribes before the join callback runs, so nothing published while it reads its state is missed; the
    /// broadcasts are held until <see cref="CompleteJoin"/> (after the ok reply) or dropped with the channel.
    /// </summary>
    public void SubscribeHolding(IPubSub pubSub)
    {
        _held = [];
        _subscription = pubSub.Subscribe(Topic, this);
    }

    // Counted in _state so that TryClose can wait for it: a broadcast is never queued after the channel's leave reply or
    // phx_close, where the client would take it for the next channel it joins on the topic (broadcasts carry no join_ref).
    public void OnBroadcast(Broadcast message)
    {
        int state = Interlocked.Increment(ref _state);
        try
        {
            if ((state & ClosedBit) != 0 || (Volatile.Read(ref _held) is not null && Hold(message)))
            {
                return;
            }

            if (Channel.ShouldDeliver(message))
            {
                Connection.SendBroadcast(message);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _state);
        }
    }

    /// <summary>
    /// The join succeeded and its reply is queued: counts the channel joined, then sends the broadcasts held during the
    /// join, in order, those <see cref="Channel.ShouldDeliver"/> keeps. Publishers arriving meanwhile wait on the gate, at
    /// most for a queue's worth of frames, then send directly.
    /// </summary>
    public void CompleteJoin()
    {
        Volatile.Write(ref _joined, true);
        Connection.Metrics.ChannelJoined();
        lock (_gate)
        {
            try
            {
                foreach (Broadcast message in _held!)
                {
                    if (!IsClosed && Channel.ShouldDeliver(message))
                    {
                        Connection.SendBroadcast(message);
                    }
                }
            }
            finally
            {
                _held = null;
            }
        }
    }

    // False once the join completed (the caller sends it). At the queue's capacity the join is not keeping up: a droppable
    // broadcast is dropped, one that must arrive closes the socket as a slow consumer.
    private bool Hold(Broadcast message)
    {
        lock (_gate)
        {
            if (_held is not { } held)
            {
                return false;
            }

            if (held.Count < Connection.QueueCapacity)
            {
                held.Add(message);
            }
            else if (message.Droppable)
            {
                Connection.Metrics.AddDropped(1);
            }
            else
            {
                Connection.CloseSlowConsumer();
            }

            return true;
        }
    }

    /// <summary>
    /// Stops broadcasts (waiting out deliveries under way) and cancels <see cref="Ended"/>; true only for the first caller.
    /// </summary>
    public bool TryClose()
    {
        if ((Interlocked.Or(ref _state, ClosedBit) & ClosedBit) != 0)
        {
            return false;
        }

        var spinner = default(SpinWait);
        while (Volatile.Read(ref _state) != ClosedBit)
        {
            spinner.SpinOnce();
        }

        _subscription?.Dispose();
        if (Volatile.Read(ref _joined))
        {
            Connection.Metrics.ChannelLeft();
        }

        try
        {
            _ended.Cancel();
        }
        catch (AggregateException ex)
        {
            // Thrown by application callbacks registered on Ended; the channel ends regardless.
            ChannelsLog.EndedCallbackFailed(Connection.Logger, Connection.ConnectionId, Topic, ex);
        }

        return true;
    }

    /// <summary>
    /// Ends the channel for good: <see cref="Channel.TerminateAsync"/> (only for a channel that joined, i.e. when
    /// <paramref name="reason"/> is given), untracking its presences, disposing it. Never throws.
    /// </summary>
    public async Task ReleaseAsync(ChannelTerminateReason? reason)
    {
        TryClose();
        if (reason is { } terminateReason)
        {
            try
            {
                await Channel.TerminateAsync(terminateReason);
            }
#pragma warning disable CA1031 // Termination is best effort; a failure is logged and cleanup goes on.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                LogReleaseFailure(terminateReason, ex);
            }
        }

        UntrackPresences();
        try
        {
            switch (Channel)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync();
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }
#pragma warning disable CA1031 // Same for disposal.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogReleaseFailure(reason ?? ChannelTerminateReason.Closed, ex);
        }
    }

    public void Push(string @event, JsonPayload payload)
    {
        ArgumentException.ThrowIfNullOrEmpty(@event);
        if (!IsClosed)
        {
            Connection.Send(Connection.Serializer.EncodeMessage(JoinRef, null, Topic, @event, payload.Utf8.Span));
        }
    }

    /// <summary>The topic's presence state, encoded straight into this socket's frame (it can be large).</summary>
    public void PushPresenceState(IPresence tracker)
    {
        if (!IsClosed)
        {
            Connection.Send(Connection.Serializer.EncodeMessage(
                JoinRef, Topic, IPresence.StateEvent, (tracker, Topic), static (writer, state) => state.tracker.WriteState(writer, state.Topic)));
        }
    }

    public void PushBinary(string @event, ReadOnlySpan<byte> payload)
    {
        ArgumentException.ThrowIfNullOrEmpty(@event);
        if (!IsClosed)
        {
            Connection.Send(Connection.Serializer.EncodeBinaryPush(JoinRef, Topic, @event, payload));
        }
    }

    public PresenceHandle TrackPresence(IPresence tracker, string key, JsonPayload meta)
    {
        PresenceHandle handle = tracker.Track(Topic, key, meta, this);
        lock (_gate)
        {
            if (!_presencesReleased)
            {
                (_presences ??= []).Add(handle);
                return handle;
            }
        }

        // The channel ended while tracking: do not leave a ghost behind.
        handle.Dispose();
        throw new InvalidOperationException($"The channel on '{Topic}' has ended; it can no longer track presence.");
    }

    private void LogReleaseFailure(ChannelTerminateReason reason, Exception exception)
        => ChannelsLog.TerminateFailed(Connection.Logger, Connection.ConnectionId, Channel.GetType().Name, Topic, reason, exception);

    private void UntrackPresences()
    {
        List<PresenceHandle>? handles;
        lock (_gate)
        {
            handles = _presences;
            _presences = null;
            _presencesReleased = true;
        }

        if (handles is not null)
        {
            foreach (PresenceHandle handle in handles)
            {
                handle.Dispose();
            }
        }
    }

    /// <summary>A callback of the channel starts; a <see cref="ChannelContext.Stop"/> during it waits for its reply.</summary>
    public void EnterCallback() => Interlocked.Increment(ref _busy);

    /// <summary>A callback finished (its reply queued); true when a deferred stop must run now.</summary>
    public bool ExitCallback() => Interlocked.Decrement(ref _busy) == 0 && Volatile.Read(ref _stopRequested) != 0;

    /// <summary>Records a stop; true when no callback is running so the stop runs now.</summary>
    public bool RequestStop()
    {
        Volatile.Write(ref _stopRequested, 1);
        return Volatile.Read(ref _busy) == 0;
    }
}

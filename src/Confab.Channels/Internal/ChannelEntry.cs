using System.Diagnostics.CodeAnalysis;

namespace Confab.Channels.Internal;

/// <summary>
/// The library's side of one joined channel: its join_ref, its pub/sub subscription, its presences, its end token,
/// and the bookkeeping that lets <see cref="ChannelContext.Stop"/> wait for the running callback's reply.
/// </summary>
[SuppressMessage("Design", "CA1001", Justification = "A CancellationTokenSource without timers holds nothing to free; channel code may read Ended after the channel ends, so it is never disposed.")]
internal sealed class ChannelEntry : IBroadcastSubscriber
{
    private readonly CancellationTokenSource _ended = new();
    private readonly Lock _presenceGate = new();
    private List<PresenceHandle>? _presences;
    private bool _presencesReleased;
    private IDisposable? _subscription;
    private int _closed;
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

    public bool IsClosed => Volatile.Read(ref _closed) != 0;

    public void Subscribe(IPubSub pubSub)
    {
        _subscription = pubSub.Subscribe(Topic, this);
        Connection.Metrics.ChannelJoined();
    }

    public void OnBroadcast(Broadcast message)
    {
        if (!IsClosed)
        {
            Connection.SendBroadcast(message);
        }
    }

    /// <summary>Stops broadcasts and cancels <see cref="Ended"/>; true only for the first caller.</summary>
    public bool TryClose()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return false;
        }

        if (_subscription is not null)
        {
            _subscription.Dispose();
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
    public void PushPresenceState(PresenceTracker tracker)
    {
        if (!IsClosed)
        {
            Connection.Send(Connection.Serializer.EncodeMessage(
                JoinRef, Topic, PresenceTracker.StateEvent, (tracker, Topic), static (writer, state) => state.tracker.WriteState(writer, state.Topic)));
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

    public PresenceHandle TrackPresence(PresenceTracker tracker, string key, JsonPayload meta)
    {
        PresenceHandle handle = tracker.Track(Topic, key, meta, this);
        lock (_presenceGate)
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
        lock (_presenceGate)
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

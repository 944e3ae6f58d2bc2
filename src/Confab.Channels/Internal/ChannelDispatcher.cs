using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Confab.Channels.Internal;

/// <summary>
/// The channels of one socket and Phoenix's dispatch rules for a socket's frames: heartbeat, join (route,
/// limit, ok/error/crash, duplicate), leave, handle_in (synchronous part in frame order, incomplete handlers in flight
/// up to <see cref="ChannelOptions.MaxPendingRepliesPerSocket"/>), crash and stop. Called by the socket's reader only,
/// except for completions of pending handlers and <see cref="ChannelContext.Stop"/>, which may come from any thread.
/// </summary>
[SuppressMessage("Design", "CA1001", Justification = "SemaphoreSlim without AvailableWaitHandle holds no OS handle; handlers still pending when the socket ends release it later, so it is never disposed.")]
internal sealed class ChannelDispatcher
{
    private static readonly JsonPayload s_unmatchedTopic = JsonPayload.Parse("""{"reason":"unmatched topic"}""");
    private static readonly JsonPayload s_tooManyChannels = JsonPayload.Parse("""{"reason":"too many channels joined"}""");
    private static readonly JsonPayload s_joinCrashed = JsonPayload.Parse("""{"reason":"join crashed"}""");
    private static readonly JsonPayload s_channelCrash = JsonPayload.Parse("""{"reason":"channel_crash"}""");
    private static readonly JsonPayload s_invalidJoin = JsonPayload.Parse("""{"reason":"join payload must be a JSON object"}""");

    private readonly ChannelRouter _router;
    private readonly IServiceProvider _services;
    private readonly ChannelsRuntime _runtime;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, ChannelEntry> _channels = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _pendingSlots;

    public ChannelDispatcher(SocketConnection connection, ChannelRouter router, IServiceProvider services, ChannelsRuntime runtime)
    {
        Connection = connection;
        _router = router;
        _services = services;
        _runtime = runtime;
        _logger = runtime.SocketLogger;
        _pendingSlots = new SemaphoreSlim(runtime.Options.MaxPendingRepliesPerSocket, runtime.Options.MaxPendingRepliesPerSocket);
    }

    public SocketConnection Connection { get; }

    private FrameSerializer Serializer => Connection.Serializer;

    private string ConnectionId => Connection.ConnectionId;

    /// <summary>Handles one message; true when a pending handler took over <paramref name="lease"/>.</summary>
    public ValueTask<bool> DispatchAsync(InboundMessage message, InboundLease lease)
    {
        if (message.Topic == ChannelEvents.HeartbeatTopic && message.Event == ChannelEvents.Heartbeat)
        {
            SendReply(null, message.Ref, message.Topic, "ok", JsonPayload.Empty);
            return ValueTask.FromResult(false);
        }

        return message.Event switch
        {
            ChannelEvents.Join => JoinAsync(message),
            ChannelEvents.Leave => LeaveAsync(message),
            _ => HandleInAsync(message, lease),
        };
    }

    /// <summary>Ends every channel without frames (the socket is gone).</summary>
    public async Task TerminateAllAsync(ChannelTerminateReason reason)
    {
        ChannelEntry[] entries;
        lock (_gate)
        {
            entries = [.. _channels.Values];
            _channels.Clear();
        }

        foreach (ChannelEntry entry in entries)
        {
            if (entry.TryClose())
            {
                await entry.ReleaseAsync(reason);
            }
        }
    }

    public void RequestStop(ChannelEntry entry)
    {
        if (entry.RequestStop())
        {
            // Not inline: the caller may be delivering to this very channel (Stop from ShouldDeliver), which the close waits out.
            _ = Task.Run(() => StopAsync(entry));
        }
    }

    private async ValueTask<bool> JoinAsync(InboundMessage message)
    {
        ChannelEntry? previous;
        lock (_gate)
        {
            _channels.Remove(message.Topic, out previous);
        }

        if (previous is not null && previous.TryClose())
        {
            ChannelsLog.DuplicateJoin(_logger, ConnectionId, message.Topic);
            await previous.ReleaseAsync(ChannelTerminateReason.DuplicateJoin);
        }

        await JoinNewAsync(message);

        if (previous is not null)
        {
            // After the new join's reply; the client drops it as outdated, as it does with Phoenix.
            SendMessage(previous.JoinRef, previous.JoinRef, message.Topic, ChannelEvents.Close, JsonPayload.Empty);
        }

        return false;
    }

    private async ValueTask JoinNewAsync(InboundMessage message)
    {
        string topic = message.Topic;
        ObjectFactory? factory = _router.Match(topic);
        if (factory is null)
        {
            ChannelsLog.UnmatchedTopic(_logger, ConnectionId, topic);
            SendReply(null, message.Ref, topic, "error", s_unmatchedTopic);
            return;
        }

        int joined;
        lock (_gate)
        {
            joined = _channels.Count;
        }

        if (joined >= _runtime.Options.MaxChannelsPerSocket)
        {
            ChannelsLog.TooManyChannels(_logger, ConnectionId, topic, joined);
            SendReply(message.JoinRef, message.Ref, topic, "error", s_tooManyChannels);
            return;
        }

        if (message.IsBinary)
        {
            SendReply(message.JoinRef, message.Ref, topic, "error", s_invalidJoin);
            return;
        }

        string? joinRef = message.JoinRef ?? message.Ref;
        ChannelEntry entry;
        JoinResult result;
        try
        {
            entry = new ChannelEntry(this, topic, joinRef, (Channel)factory(_services, null), _runtime);
        }
#pragma warning disable CA1031 // A constructor that throws is a crashed join: logged, answered, the socket lives on.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            ChannelsLog.JoinCrashed(_logger, ConnectionId, topic, ex);
            SendReply(joinRef, message.Ref, topic, "error", s_joinCrashed);
            return;
        }

        entry.SubscribeHolding(_runtime.PubSub);
        entry.EnterCallback();
        try
        {
            result = await entry.Channel.JoinAsync(message.Payload, entry.Ended);
        }
#pragma warning disable CA1031 // Same boundary for the join callback itself.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            ChannelsLog.JoinCrashed(_logger, ConnectionId, topic, ex);
            SendReply(joinRef, message.Ref, topic, "error", s_joinCrashed);
            await entry.ReleaseAsync(null);
            return;
        }

        if (!result.IsOk)
        {
            SendReply(joinRef, message.Ref, topic, "error", result.Response);
            await entry.ReleaseAsync(null);
            return;
        }

        lock (_gate)
        {
            _channels[topic] = entry;
        }

        SendReply(joinRef, message.Ref, topic, "ok", result.Response);
        Exception? failure = null;
        try
        {
            entry.CompleteJoin();
            await entry.Channel.AfterJoinAsync(entry.Ended);
        }
#pragma warning disable CA1031 // An after-join failure crashes this channel only.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            failure = ex;
        }

        await ExitCallbackAsync(entry, failure);
    }

    private async ValueTask<bool> LeaveAsync(InboundMessage message)
    {
        ChannelEntry? entry;
        lock (_gate)
        {
            if (_channels.TryGetValue(message.Topic, out entry))
            {
                if (message.JoinRef is not null && message.JoinRef != entry.JoinRef)
                {
                    ChannelsLog.StaleMessageDropped(_logger, ConnectionId, message.Topic, message.Event);
                    return false;
                }

                _channels.Remove(message.Topic);
            }
        }

        if (entry is null)
        {
            SendReply(message.JoinRef, message.Ref, message.Topic, "ok", JsonPayload.Empty);
            return false;
        }

        if (!entry.TryClose())
        {
            return false;
        }

        SendReply(entry.JoinRef, message.Ref, entry.Topic, "ok", JsonPayload.Empty);
        await entry.ReleaseAsync(ChannelTerminateReason.Leave);
        SendMessage(entry.JoinRef, entry.JoinRef, entry.Topic, ChannelEvents.Close, JsonPayload.Empty);
        return false;
    }

    private async ValueTask<bool> HandleInAsync(InboundMessage message, InboundLease lease)
    {
        ChannelEntry? entry;
        lock (_gate)
        {
            _channels.TryGetValue(message.Topic, out entry);
        }

        if (entry is null)
        {
            SendReply(null, message.Ref, message.Topic, "error", s_unmatchedTopic);
            return false;
        }

        if (message.JoinRef is not null && message.JoinRef != entry.JoinRef)
        {
            ChannelsLog.StaleMessageDropped(_logger, ConnectionId, message.Topic, message.Event);
            return false;
        }

        // At the cap the reader waits here, so a client cannot pile up unbounded work.
        await _pendingSlots.WaitAsync(Connection.Aborted);
        ValueTask<Reply?> handler;
        entry.EnterCallback();
        try
        {
            handler = message.IsBinary
                ? entry.Channel.HandleBinaryInAsync(message.Event, message.BinaryPayload, entry.Ended)
                : entry.Channel.HandleInAsync(message.Event, message.Payload, entry.Ended);
        }
#pragma warning disable CA1031 // A handler that throws crashes its channel only.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _pendingSlots.Release();
            await ExitCallbackAsync(entry, ex);
            return false;
        }

        if (handler.IsCompleted)
        {
            _pendingSlots.Release();
            await CompleteHandlerAsync(entry, message.Ref, handler);
            return false;
        }

        _ = AwaitHandlerAsync(entry, message.Ref, handler, lease);
        return true;
    }

    private async Task AwaitHandlerAsync(ChannelEntry entry, string? @ref, ValueTask<Reply?> handler, InboundLease lease)
    {
        try
        {
            await CompleteHandlerAsync(entry, @ref, handler);
        }
        finally
        {
            _pendingSlots.Release();
            lease.Dispose();
        }
    }

    // Never throws: a failing handler or reply crashes the channel.
    private async ValueTask CompleteHandlerAsync(ChannelEntry entry, string? @ref, ValueTask<Reply?> handler)
    {
        Exception? failure = null;
        try
        {
            Reply? reply = await handler;
            if (reply is { } answer && !entry.IsClosed)
            {
                Connection.Send(answer.IsBinary
                    ? Serializer.EncodeBinaryReply(entry.JoinRef, @ref, entry.Topic, answer.Status, answer.BinaryResponse.Span)
                    : Serializer.EncodeReply(entry.JoinRef, @ref, entry.Topic, answer.Status, answer.Response.Utf8.Span));
            }
        }
#pragma warning disable CA1031 // A handler that throws (or answers what cannot be encoded) crashes its channel only.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            failure = ex;
        }

        await ExitCallbackAsync(entry, failure);
    }

    // A callback ended (its reply, if any, is queued): crash on failure, else run a Stop() requested meanwhile.
    private Task ExitCallbackAsync(ChannelEntry entry, Exception? failure)
    {
        bool stopRequested = entry.ExitCallback();
        return failure is not null ? CrashAsync(entry, failure)
            : stopRequested ? StopAsync(entry)
            : Task.CompletedTask;
    }

    private async Task CrashAsync(ChannelEntry entry, Exception exception)
    {
        Unregister(entry);
        if (!entry.TryClose())
        {
            return;
        }

        _runtime.Metrics.ChannelCrashed();
        ChannelsLog.ChannelCrashed(_logger, ConnectionId, entry.Channel.GetType().Name, entry.Topic, exception);
        SendMessage(entry.JoinRef, entry.JoinRef, entry.Topic, ChannelEvents.Error, s_channelCrash);
        await entry.ReleaseAsync(ChannelTerminateReason.Crash);
    }

    private async Task StopAsync(ChannelEntry entry)
    {
        Unregister(entry);
        if (!entry.TryClose())
        {
            return;
        }

        SendMessage(entry.JoinRef, entry.JoinRef, entry.Topic, ChannelEvents.Close, JsonPayload.Empty);
        await entry.ReleaseAsync(ChannelTerminateReason.Stopped);
    }

    private void Unregister(ChannelEntry entry)
    {
        lock (_gate)
        {
            if (_channels.TryGetValue(entry.Topic, out var current) && ReferenceEquals(current, entry))
            {
                _channels.Remove(entry.Topic);
            }
        }
    }

    private void SendReply(string? joinRef, string? @ref, string topic, string status, JsonPayload response)
        => Connection.Send(Serializer.EncodeReply(joinRef, @ref, topic, status, response.Utf8.Span));

    private void SendMessage(string? joinRef, string? @ref, string topic, string @event, JsonPayload payload)
        => Connection.Send(Serializer.EncodeMessage(joinRef, @ref, topic, @event, payload.Utf8.Span));
}

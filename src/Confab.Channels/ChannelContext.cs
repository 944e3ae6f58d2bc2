using System.Text.Json.Nodes;
using Confab.Channels.Internal;

namespace Confab.Channels;

/// <summary>
/// What a joined channel knows and can do: its topic and join_ref, the socket, and the ways to reach clients.
/// Thread-safe; usable from background work until the channel ends (then pushes are ignored).
/// </summary>
public sealed class ChannelContext
{
    private readonly ChannelEntry _entry;
    private readonly ChannelsRuntime _runtime;

    internal ChannelContext(ChannelEntry entry, ChannelsRuntime runtime)
    {
        _entry = entry;
        _runtime = runtime;
    }

    /// <summary>The joined topic, e.g. <c>"room:lobby"</c>.</summary>
    public string Topic => _entry.Topic;

    /// <summary>
    /// The ref of the join that created this channel (<c>"3"</c> in <c>["3","3","room:lobby","phx_join",{}]</c>).
    /// Every push, reply, <c>phx_close</c> and <c>phx_error</c> of the channel carries it. When a client joins without
    /// a join_ref (protocol 1), the join's ref is used; null only if both were null.
    /// </summary>
    public string? JoinRef => _entry.JoinRef;

    /// <summary>The socket this channel belongs to (id, assigns, connection id).</summary>
    public SocketContext Socket => _entry.Connection.Socket;

    /// <summary>The process's presence tracker.</summary>
    public IPresence Presence => _runtime.Presence;

    /// <summary>The pub/sub the channel's broadcasts go through.</summary>
    public IPubSub PubSub => _runtime.PubSub;

    /// <summary>Canceled when the channel ends (leave, close, duplicate join, stop, crash, shutdown).</summary>
    public CancellationToken Ended => _entry.Ended;

    /// <summary>True once the channel has ended.</summary>
    public bool HasEnded => _entry.IsClosed;

    /// <summary>
    /// Sends an event to this socket only: <c>Push("server_push", payload)</c> is sent as
    /// <c>["3",null,"room:lobby","server_push",{…}]</c> (join_ref set, ref null). Never waits; ignored after the channel ended.
    /// </summary>
    public void Push(string @event, JsonPayload payload) => _entry.Push(@event, payload);

    /// <summary>
    /// Sends a binary event to this socket only (V2): <c>00 len(jr) len(topic) len(event) jr topic event bytes</c>, without
    /// a ref. The bytes are copied before returning.
    /// </summary>
    /// <exception cref="NotSupportedException">The socket speaks protocol 1, which has no binary frames.</exception>
    public void PushBinary(string @event, ReadOnlySpan<byte> payload) => _entry.PushBinary(@event, payload);

    /// <summary>
    /// Broadcasts to every channel joined to <see cref="Topic"/> on every socket, this one included:
    /// <c>[null,null,"room:lobby","new_msg",{"body":"hello"}]</c>. Encoded once for all subscribers.
    /// </summary>
    /// <param name="event">The event name.</param>
    /// <param name="payload">The payload object.</param>
    /// <param name="value">An optional in-process object for local subscribers (<see cref="Broadcast.Value"/>).</param>
    /// <param name="droppable">True for frames a slow socket may drop (typing indicators); see <see cref="Broadcast.Droppable"/>.</param>
    public ValueTask BroadcastAsync(string @event, JsonPayload payload, object? value = null, bool droppable = false)
        => _runtime.PubSub.BroadcastAsync(new Broadcast(Topic, @event, payload, value) { Droppable = droppable });

    /// <summary>As <see cref="BroadcastAsync"/>, but this channel does not receive it (Phoenix's <c>broadcast_from</c>).</summary>
    /// <param name="event">The event name.</param>
    /// <param name="payload">The payload object.</param>
    /// <param name="value">An optional in-process object for local subscribers.</param>
    /// <param name="droppable">True for frames a slow socket may drop.</param>
    public ValueTask BroadcastFromAsync(string @event, JsonPayload payload, object? value = null, bool droppable = false)
        => _runtime.PubSub.BroadcastAsync(new Broadcast(Topic, @event, payload, value) { Droppable = droppable, ExcludedSubscriber = _entry });

    /// <summary>
    /// Stops the channel from the server side: the client gets <c>["3","3","room:lobby","phx_close",{}]</c> and does not
    /// rejoin, and <see cref="Channel.TerminateAsync"/> runs with <see cref="ChannelTerminateReason.Stopped"/>. Called
    /// inside a callback, the stop happens after that callback's reply is sent, as Phoenix's <c>{:stop, reason, reply, socket}</c>.
    /// </summary>
    public void Stop() => _entry.Dispatcher.RequestStop(_entry);

    /// <summary>
    /// Tracks this channel's presence under <paramref name="key"/> on its topic (see <see cref="PresenceTracker"/>);
    /// untracked automatically when the channel ends.
    /// </summary>
    /// <exception cref="InvalidOperationException">The key is already tracked by this channel, or the channel has ended.</exception>
    public PresenceHandle TrackPresence(string key, JsonPayload meta) => _entry.TrackPresence(_runtime.Presence, key, meta);

    /// <summary>Tracks a <see cref="JsonObject"/> meta; see <see cref="TrackPresence(string, JsonPayload)"/>.</summary>
    public PresenceHandle TrackPresence(string key, JsonObject meta) => _entry.TrackPresence(_runtime.Presence, key, JsonPayload.FromObject(meta));

    /// <summary>
    /// Pushes the topic's presence state to this socket:
    /// <c>["3",null,"room:lobby","presence_state",{"alice":{"metas":[{…,"phx_ref":"…"}]}}]</c>.
    /// </summary>
    public void PushPresenceState() => _entry.PushPresenceState(_runtime.Presence);
}

using System.Text.Json;

namespace Confab.Channels;

/// <summary>
/// One joined topic on one socket, like a Phoenix channel process. An instance is created (with constructor
/// injection) for every <c>phx_join</c> routed to it and lives until the client leaves, the socket closes, the same
/// socket joins the topic again, the channel stops itself, the server stops, or a callback throws.
/// </summary>
/// <remarks>
/// <para>Callbacks of one channel are invoked by the socket's reader in frame order. A <see cref="HandleInAsync"/>
/// that returns an incomplete task does not hold up the reader: its reply is sent when it completes, so several pushes
/// of one client can be in flight at once (see <see cref="ChannelOptions.MaxPendingRepliesPerSocket"/>). Code after
/// the first <c>await</c> therefore runs concurrently with later callbacks of the same channel.</para>
/// <para>A callback that throws crashes only this channel: the client receives
/// <c>["3","3","room:lobby","phx_error",{"reason":"channel_crash"}]</c> and rejoins; the socket and its other channels
/// stay up. Exception details never reach the client.</para>
/// <para>A <see cref="JsonElement"/> payload is valid only until the callback's task completes; call
/// <see cref="JsonElement.Clone"/> to keep it longer. An instance that implements <see cref="IAsyncDisposable"/> or
/// <see cref="IDisposable"/> is disposed after <see cref="TerminateAsync"/>.</para>
/// </remarks>
public abstract class Channel
{
    private ChannelContext? _context;

    /// <summary>The joined topic, the socket and the ways to talk to the client. Set before <see cref="JoinAsync"/>.</summary>
    /// <exception cref="InvalidOperationException">Read in the constructor, before the join.</exception>
    public ChannelContext Context
    {
        get => _context ?? throw new InvalidOperationException("Channel.Context is set when the channel joins; it is not available in the constructor.");
        internal set => _context = value;
    }

    /// <summary>
    /// Authorizes the join. <c>["3","3","room:lobby","phx_join",{"last_seq":7}]</c> calls this with
    /// <c>{"last_seq":7}</c>; the result is answered with <c>["3","3","room:lobby","phx_reply",{"status":"ok","response":{…}}]</c>
    /// (see <see cref="JoinResult"/>). Joins are awaited: later frames of the socket wait for the join to finish.
    /// </summary>
    /// <param name="payload">The join params object.</param>
    /// <param name="cancellationToken">Canceled when the channel ends.</param>
    public abstract ValueTask<JoinResult> JoinAsync(JsonElement payload, CancellationToken cancellationToken);

    /// <summary>
    /// Decides whether a broadcast on the topic is sent to this client; the default sends every one. Like Phoenix's
    /// <c>handle_out</c>, but the frame is not rewritten: the same bytes go to every subscriber that takes it.
    /// Called on the publisher's thread, for every broadcast and every subscriber, so it must be quick and must not
    /// throw. The channel subscribes before <see cref="JoinAsync"/>, so nothing published while the join reads its
    /// state is missed: those broadcasts are held, then passed through here right after the ok reply, in order, before
    /// <see cref="AfterJoinAsync"/> (and dropped if the join fails). Return false for one the join's reply already
    /// carried (e.g. a message in its history) so the client does not get it twice.
    /// </summary>
    /// <param name="broadcast">The broadcast.</param>
    public virtual bool ShouldDeliver(Broadcast broadcast) => true;

    /// <summary>
    /// Runs after the ok join reply was queued, before the socket reads on: the place to track presence and push the
    /// state to the joiner (<c>Context.TrackPresence(key, meta); Context.PushPresenceState();</c>).
    /// </summary>
    public virtual ValueTask AfterJoinAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>
    /// Handles a client push such as <c>["3","6","room:lobby","new_msg",{"body":"hello"}]</c>. Return a
    /// <see cref="Reply"/> to answer <c>["3","6","room:lobby","phx_reply",{"status":"ok","response":{…}}]</c>, or null
    /// to send nothing (the client's push then times out locally). The default ignores the push.
    /// </summary>
    /// <param name="event">The event name, e.g. <c>"new_msg"</c>.</param>
    /// <param name="payload">The payload object; valid until the returned task completes.</param>
    /// <param name="cancellationToken">Canceled when the channel ends.</param>
    public virtual ValueTask<Reply?> HandleInAsync(string @event, JsonElement payload, CancellationToken cancellationToken)
        => ValueTask.FromResult<Reply?>(null);

    /// <summary>
    /// Handles a binary push (V2 binary frame of kind 0,
    /// <c>00 len(join_ref) len(ref) len(topic) len(event) join_ref ref topic event bytes</c>). The default ignores it.
    /// </summary>
    /// <param name="event">The event name.</param>
    /// <param name="payload">The raw bytes; valid until the returned task completes.</param>
    /// <param name="cancellationToken">Canceled when the channel ends.</param>
    public virtual ValueTask<Reply?> HandleBinaryInAsync(string @event, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
        => ValueTask.FromResult<Reply?>(null);

    /// <summary>
    /// Called once when the channel ends, after it stopped receiving broadcasts. Presence tracked through
    /// <see cref="ChannelContext.TrackPresence(string, JsonPayload)"/> is untracked right after.
    /// </summary>
    public virtual ValueTask TerminateAsync(ChannelTerminateReason reason) => ValueTask.CompletedTask;
}

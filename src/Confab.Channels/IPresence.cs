using System.Text.Json;

namespace Confab.Channels;

/// <summary>
/// Who is present on each topic, as channels and the app see it: the seam a cluster replaces. <see cref="PresenceTracker"/>
/// is the process-local implementation; one that also merges other nodes' presences registers itself as
/// <see cref="IPresence"/> before <c>AddPhoenixChannels</c> (or replaces the registration), and channels, sockets and the
/// app's pages use it without change.
/// </summary>
public interface IPresence
{
    /// <summary>The conventional event of the full state pushed to a joiner.</summary>
    const string StateEvent = "presence_state";

    /// <summary>The event of the diffs broadcast on the topic.</summary>
    const string DiffEvent = "presence_diff";

    /// <summary>Presences tracked now (by this node).</summary>
    int TrackedCount { get; }

    /// <summary>
    /// Tracks <paramref name="meta"/> under <paramref name="key"/> on <paramref name="topic"/> for <paramref name="owner"/>
    /// (one channel, one page) and broadcasts the join as <see cref="DiffEvent"/>.
    /// </summary>
    PresenceHandle Track(string topic, string key, JsonPayload meta, object owner);

    /// <summary>Replaces a presence's meta (a new <c>phx_ref</c>) and broadcasts the change.</summary>
    void Update(PresenceHandle handle, JsonPayload meta);

    /// <summary>Untracks a presence and broadcasts the leave. False when it was untracked already.</summary>
    bool Untrack(PresenceHandle handle);

    /// <summary>The state of a topic: <c>{"alice": {"metas": [...]}}</c>.</summary>
    JsonPayload List(string topic);

    /// <summary>Writes <see cref="List"/>'s state of <paramref name="topic"/> to <paramref name="writer"/>, for a <see cref="StateEvent"/> push.</summary>
    void WriteState(Utf8JsonWriter writer, string topic);
}

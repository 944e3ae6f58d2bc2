using System.Text.Json.Nodes;

namespace Confab.Channels;

/// <summary>
/// One tracked presence: a key (e.g. a user id) with one meta, on one topic, for one owner (e.g. one channel of one
/// socket). Dispose it to untrack; a presence tracked through <see cref="ChannelContext.TrackPresence(string, JsonPayload)"/>
/// is untracked automatically when the channel ends.
/// </summary>
public sealed class PresenceHandle : IDisposable
{
    private readonly IPresence _tracker;

    internal PresenceHandle(IPresence tracker, string topic, string key, object owner, string phxRef, byte[] meta)
    {
        _tracker = tracker;
        Topic = topic;
        Key = key;
        Owner = owner;
        Ref = phxRef;
        MetaBytes = meta;
        IsTracked = true;
    }

    /// <summary>The topic the presence is tracked on.</summary>
    public string Topic { get; }

    /// <summary>The presence key, e.g. a user id.</summary>
    public string Key { get; }

    /// <summary>The current <c>phx_ref</c>, a new one after every update.</summary>
    public string Ref { get; private set; }

    /// <summary>The current meta as sent to clients, including <c>phx_ref</c> (and <c>phx_ref_prev</c> after an update).</summary>
    public JsonPayload Meta => JsonPayload.Trusted(MetaBytes);

    /// <summary>False once untracked.</summary>
    public bool IsTracked { get; private set; }

    internal object Owner { get; }

    internal byte[] MetaBytes { get; private set; }

    /// <summary>Replaces the meta; see <see cref="IPresence.Update(PresenceHandle, JsonPayload)"/>.</summary>
    public void Update(JsonPayload meta) => _tracker.Update(this, meta);

    /// <summary>Replaces the meta; see <see cref="IPresence.Update(PresenceHandle, JsonPayload)"/>.</summary>
    public void Update(JsonObject meta) => _tracker.Update(this, JsonPayload.FromObject(meta));

    /// <summary>Untracks the presence (idempotent).</summary>
    public void Dispose() => _tracker.Untrack(this);

    internal void Set(string phxRef, byte[] meta)
    {
        Ref = phxRef;
        MetaBytes = meta;
    }

    internal void MarkUntracked() => IsTracked = false;
}

using Confab.Channels.Internal;

namespace Confab.Channels;

/// <summary>
/// One message for every subscriber of a topic, like <c>Phoenix.Socket.Broadcast</c>. It reaches each joined channel
/// of the topic as <c>[null,null,"room:lobby","new_msg",{"body":"hello"}]</c> (V2) or
/// <c>{"topic":"room:lobby","event":"new_msg","ref":null,"payload":{"body":"hello"}}</c> (V1).
/// </summary>
/// <remarks>
/// The frame is encoded once per protocol version, the first time a subscriber of that version needs it, and the
/// same bytes are queued to every subscriber: publishing costs no JSON work and no allocation per subscriber.
/// A broadcast is immutable; do not publish one instance twice with different intentions.
/// </remarks>
public sealed class Broadcast
{
    private readonly byte[]?[] _frames = new byte[]?[2];

    /// <summary>Creates a JSON broadcast.</summary>
    /// <param name="topic">The topic, e.g. <c>"room:lobby"</c>.</param>
    /// <param name="event">The event, e.g. <c>"new_msg"</c>.</param>
    /// <param name="payload">The payload object.</param>
    /// <param name="value">An optional in-process object for local subscribers (e.g. a server-rendered UI).</param>
    public Broadcast(string topic, string @event, JsonPayload payload, object? value = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentException.ThrowIfNullOrEmpty(@event);
        Topic = topic;
        Event = @event;
        Payload = payload;
        Value = value;
    }

    private Broadcast(string topic, string @event, ReadOnlyMemory<byte> binaryPayload)
        : this(topic, @event, JsonPayload.Empty)
    {
        BinaryPayload = binaryPayload;
        IsBinary = true;
    }

    /// <summary>The topic every subscriber of which receives the message.</summary>
    public string Topic { get; }

    /// <summary>The event name.</summary>
    public string Event { get; }

    /// <summary>The JSON payload (unused for a binary broadcast).</summary>
    public JsonPayload Payload { get; }

    /// <summary>
    /// An optional in-process object for local subscribers, e.g. the typed message behind the payload for a
    /// server-rendered UI. Never sent; null when the broadcast came from another node.
    /// </summary>
    public object? Value { get; }

    /// <summary>
    /// True when a slow socket may drop this message rather than be closed (presence diffs, typing indicators).
    /// A frame that must arrive (a chat message) is never droppable.
    /// </summary>
    public bool Droppable { get; init; }

    /// <summary>True for a binary broadcast (V2 sockets only; V1 subscribers skip it).</summary>
    public bool IsBinary { get; }

    /// <summary>The raw payload of a binary broadcast.</summary>
    public ReadOnlyMemory<byte> BinaryPayload { get; }

    /// <summary>The subscriber that must not receive this message (<c>broadcast_from</c>); local only.</summary>
    internal IBroadcastSubscriber? ExcludedSubscriber { get; init; }

    /// <summary>
    /// Creates a binary broadcast, sent to V2 sockets as
    /// <c>02 len(topic) len(event) topic event bytes</c> (topic and event at most 255 UTF-8 bytes each).
    /// The bytes are not copied: do not change them afterwards.
    /// </summary>
    public static Broadcast CreateBinary(string topic, string @event, ReadOnlyMemory<byte> payload) => new(topic, @event, payload);

    /// <summary>The encoded frame for <paramref name="serializer"/>, built on first use and then shared.</summary>
    internal byte[]? GetFrame(FrameSerializer serializer)
    {
        ref byte[]? slot = ref _frames[serializer.CacheSlot];
        byte[]? frame = Volatile.Read(ref slot);
        if (frame is not null)
        {
            return frame;
        }

        byte[]? encoded = serializer.EncodeBroadcast(this);
        return encoded is null ? null : Interlocked.CompareExchange(ref slot, encoded, null) ?? encoded;
    }
}

using System.Buffers;
using System.Text.Json;
using Confab.Channels;
using StackExchange.Redis;

namespace Confab.Cluster;

/// <summary>
/// The app's <see cref="IPubSub"/>: subscribers are this process's (<see cref="LocalPubSub"/>); a
/// <see cref="BroadcastAsync"/> reaches them and, with Redis, every other node's (typing, a user's read marker, a socket
/// told to disconnect, the cluster's own notices), while a <see cref="LocalBroadcastAsync"/> stays here: the room events
/// and what each node derives from them, which every node delivers from its own <see cref="Realtime.RoomEventStream"/>.
/// </summary>
/// <remarks>
/// A broadcast travels as <c>{"node": "web-1-4242", "topic": "room:1", "event": "typing", "droppable": true,
/// "payload": {...}}</c> (a binary one as <c>{"node", "topic", "event", "binary": "&lt;base64&gt;"}</c>). Pub/sub may lose one: what
/// broadcasts carry is either fleeting (typing) or also stored (a read marker, a deactivation), and whoever keeps a copy
/// of stored state reads it again when the subscription comes back (<see cref="RedisLink.SubscriptionRestored"/>).
/// </remarks>
public sealed class ClusterPubSub(RedisLink link, ILoggerFactory loggers) : IPubSub, IHostedService
{
    /// <summary>The pub/sub channel of broadcasts.</summary>
    public static readonly RedisChannel BroadcastsChannel = RedisChannel.Literal("confab:broadcasts");

    private const string Kind = "broadcast";

    private readonly LocalPubSub local = new(loggers);
    private ChannelMessageQueue? queue;

    /// <inheritdoc />
    public ValueTask BroadcastAsync(Broadcast message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var delivered = local.BroadcastAsync(message, cancellationToken);
        if (queue is not null)
        {
            link.Publish(BroadcastsChannel, Write(link.NodeId, message), Kind);
        }

        return delivered;
    }

    /// <inheritdoc />
    public ValueTask LocalBroadcastAsync(Broadcast message, CancellationToken cancellationToken = default) =>
        local.BroadcastAsync(message, cancellationToken);

    /// <inheritdoc />
    public bool HasLocalSubscribers(string topic) => local.HasLocalSubscribers(topic);

    /// <inheritdoc />
    public IDisposable Subscribe(string topic, IBroadcastSubscriber subscriber) => local.Subscribe(topic, subscriber);

    public async Task StartAsync(CancellationToken cancellationToken) =>
        queue = await link.SubscribeAsync(BroadcastsChannel, OnMessage, Kind);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (queue is not null)
        {
            await queue.UnsubscribeAsync();
        }
    }

    private void OnMessage(byte[] message)
    {
        (string Node, Broadcast Broadcast) received;
        try
        {
            received = Read(message);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or ArgumentException)
        {
            link.Unreadable(Kind, e);
            return;
        }

        if (received.Node != link.NodeId)
        {
            Deliver(received.Broadcast);
        }
    }

    /// <summary>Hands <paramref name="message"/> to this process's subscribers now (a local broadcast never waits).</summary>
    public void Deliver(Broadcast message) => local.Publish(message);

    /// <summary>A broadcast as it travels between nodes.</summary>
    public static byte[] Write(string node, Broadcast message)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("node"u8, node);
            writer.WriteString("topic"u8, message.Topic);
            writer.WriteString("event"u8, message.Event);
            if (message.IsBinary)
            {
                writer.WriteBase64String("binary"u8, message.BinaryPayload.Span);
            }
            else
            {
                writer.WriteBoolean("droppable"u8, message.Droppable);
                writer.WritePropertyName("payload"u8);
                writer.WriteRawValue(message.Payload.Utf8.Span, skipInputValidation: true);
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The node a broadcast came from, and the broadcast (see <see cref="Write"/>).</summary>
    public static (string Node, Broadcast Broadcast) Read(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        using var document = JsonDocument.ParseValue(ref reader);
        var root = document.RootElement;
        var node = Required(root, "node").GetString() ?? throw new JsonException("The broadcast has no node.");
        var topic = Required(root, "topic").GetString() ?? throw new JsonException("The broadcast has no topic.");
        var name = Required(root, "event").GetString() ?? throw new JsonException("The broadcast has no event.");
        var broadcast = root.TryGetProperty("binary"u8, out var binary)
            ? Broadcast.CreateBinary(topic, name, binary.GetBytesFromBase64())
            : new Broadcast(topic, name, JsonPayload.FromElement(Required(root, "payload"))) { Droppable = Required(root, "droppable").GetBoolean() };
        return (node, broadcast);
    }

    private static JsonElement Required(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) ? value : throw new JsonException($"The broadcast has no {name}.");
}

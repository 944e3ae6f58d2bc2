using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Confab.Channels;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Confab.Cluster;

/// <summary>
/// The app's <see cref="IPresence"/>: this node's presences in a <see cref="PresenceTracker"/>, and with Redis a copy of
/// every other node's, so that a room's presence state and diffs show everyone in it, whichever node they are on.
/// </summary>
/// <remarks>
/// <para>Each node publishes its tracker's diffs on <see cref="PresenceChannel"/>, numbered (<c>seq</c>) in the order it
/// sends them, and a heartbeat every <see cref="ClusterOptions.PresenceHeartbeat"/> with the last number. The others
/// apply each diff to their copy of that node and pass it to their own sockets. Pub/sub may lose a message: a number
/// skipped, or a heartbeat ahead of the last diff, makes the receiver ask that node for its whole state, which replaces
/// the copy (the difference goes to the sockets as one diff per room). A node unheard for
/// <see cref="ClusterOptions.NodeTimeout"/> (killed, or cut off) leaves everyone's lists; when it is heard again it
/// is asked for its state. A new node, or one whose subscription came back, asks every node for theirs.</para>
/// <para>A state is taken after every diff numbered before it was sent, so a diff numbered after it may repeat what the
/// state holds: applying is by <c>phx_ref</c> (unique in the cluster), and a repeated join or leave changes nothing.
/// Messages: <c>{"node", "inc", "seq", "type": "diff", "topic", "diff"}</c>, <c>"hb"</c>, <c>"state"</c> with
/// <c>"topics": {topic: state}</c>, <c>"bye"</c> (stopping), and <c>{"node", "inc", "type": "sync", "target"}</c> (a
/// node id, or <c>*</c>). <c>inc</c> tells a restarted node with the same id from its former self.</para>
/// </remarks>
public sealed partial class ClusterPresence : IPresence, IHostedService, IDisposable
{
    /// <summary>The pub/sub channel of presence.</summary>
    public static readonly RedisChannel PresenceChannel = RedisChannel.Literal("confab:presence");

    private const string Kind = "presence";

    private readonly PresenceTracker local;
    private readonly ClusterPubSub pubSub;
    private readonly RedisLink link;
    private readonly TimeProvider time;
    private readonly ClusterOptions options;
    private readonly ILogger logger;
    private readonly string incarnation = Convert.ToHexString(RandomNumberGenerator.GetBytes(6));
    private readonly System.Threading.Channels.Channel<Outgoing> outbox = System.Threading.Channels.Channel.CreateUnbounded<Outgoing>(new System.Threading.Channels.UnboundedChannelOptions { SingleReader = true });

    // The other nodes' presences, by node id.
    private readonly Lock gate = new();
    private readonly Dictionary<string, RemoteNode> nodes = new(StringComparer.Ordinal);

    private ChannelMessageQueue? queue;
    private ITimer? heartbeat;
    private Task? sending;

    public ClusterPresence(
        ClusterPubSub pubSub, RedisLink link, TimeProvider time, IOptions<Confab.Channels.ChannelOptions> channels, IOptions<ClusterOptions> options,
        ILoggerFactory loggers)
    {
        this.pubSub = pubSub;
        this.link = link;
        this.time = time;
        this.options = options.Value;
        logger = loggers.CreateLogger<ClusterPresence>();
        local = new PresenceTracker(new Outlet(this), time, channels.Value.PresenceDiffInterval, loggers);
    }

    private enum OutgoingKind { Diff, Heartbeat, State, Sync, Bye }

    /// <summary>
    /// Another node is gone (unheard for <see cref="ClusterOptions.NodeTimeout"/>, said goodbye, or restarted under its
    /// id): what it committed last may never have been published. Raised on the thread pool, with the node's id.
    /// </summary>
    public event Action<string>? NodeGone;

    private readonly record struct Outgoing(OutgoingKind Kind, string? Topic = null, ReadOnlyMemory<byte> Diff = default);

    private sealed class RemoteNode(string incarnation)
    {
        public readonly string Incarnation = incarnation;

        // By topic, then by phx_ref: the key and the meta.
        public readonly Dictionary<string, Dictionary<string, (string Key, byte[] Meta)>> Topics = new(StringComparer.Ordinal);

        // The number of the last message applied; -1 before the first.
        public long Seq = -1;
        public DateTimeOffset LastHeard;
        public DateTimeOffset? SyncAsked;
    }

    /// <summary>Presences tracked by this node.</summary>
    public int TrackedCount => local.TrackedCount;

    public PresenceHandle Track(string topic, string key, JsonPayload meta, object owner) => local.Track(topic, key, meta, owner);

    public void Update(PresenceHandle handle, JsonPayload meta) => local.Update(handle, meta);

    public bool Untrack(PresenceHandle handle) => local.Untrack(handle);

    public JsonPayload List(string topic)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteState(writer, topic);
        }

        return JsonPayload.FromUtf8(buffer.WrittenMemory);
    }

    public void WriteState(Utf8JsonWriter writer, string topic)
    {
        List<(string Key, byte[] Meta)>? remote = null;
        lock (gate)
        {
            foreach (var node in nodes.Values)
            {
                if (node.Topics.TryGetValue(topic, out var metas))
                {
                    (remote ??= []).AddRange(metas.Values);
                }
            }
        }

        if (remote is null)
        {
            local.WriteState(writer, topic);
            return;
        }

        var byKey = new Dictionary<string, List<ReadOnlyMemory<byte>>>(StringComparer.Ordinal);
        foreach (var (key, meta) in local.Metas(topic))
        {
            Add(byKey, key, meta.Utf8);
        }

        foreach (var (key, meta) in remote)
        {
            Add(byKey, key, meta);
        }

        WritePresences(writer, byKey);
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!link.Enabled)
        {
            return Task.CompletedTask;
        }

        return StartClusterAsync();
    }

    private async Task StartClusterAsync()
    {
        queue = await link.SubscribeAsync(PresenceChannel, OnMessage, Kind);
        link.SubscriptionRestored += AskEveryone;
        sending = SendAsync();
        heartbeat = time.CreateTimer(static state => ((ClusterPresence)state!).OnHeartbeat(), this, options.PresenceHeartbeat, options.PresenceHeartbeat);
        AskEveryone();
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (queue is null)
        {
            return;
        }

        link.SubscriptionRestored -= AskEveryone;
        heartbeat?.Dispose();
        // The sockets closed before this (the application's stopping): their leaves, then goodbye.
        local.Flush();
        outbox.Writer.TryWrite(new Outgoing(OutgoingKind.Bye));
        outbox.Writer.TryComplete();
        await (sending ?? Task.CompletedTask).WaitAsync(cancellationToken);
        await queue.UnsubscribeAsync();
    }

    public void Dispose() => heartbeat?.Dispose();

    private void AskEveryone() => outbox.Writer.TryWrite(new Outgoing(OutgoingKind.Sync, Topic: "*"));

    private void OnHeartbeat()
    {
        outbox.Writer.TryWrite(new Outgoing(OutgoingKind.Heartbeat));
        var now = time.GetUtcNow();
        lock (gate)
        {
            foreach (var (id, node) in nodes.ToList())
            {
                if (now - node.LastHeard > options.NodeTimeout)
                {
                    LogNodeGone(logger, id, options.NodeTimeout.TotalSeconds);
                    Drop(id, node);
                }
            }
        }
    }

    // The only sender: numbers diffs in the order it publishes them, and takes a state after every diff numbered before.
    private async Task SendAsync()
    {
        long seq = 0;
        await foreach (var item in outbox.Reader.ReadAllAsync())
        {
            if (item.Kind == OutgoingKind.Diff)
            {
                seq++;
            }

            try
            {
                link.Publish(PresenceChannel, Write(item, seq), Kind);
            }
#pragma warning disable CA1031 // The only sender must go on: a message it could not send shows as a gap, and is repaired.
            catch (Exception e)
#pragma warning restore CA1031
            {
                LogSendFailed(logger, e);
            }
        }
    }

    private byte[] Write(Outgoing item, long seq)
    {
        var buffer = new ArrayBufferWriter<byte>(item.Kind == OutgoingKind.State ? 4096 : 256);
        using var writer = new Utf8JsonWriter(buffer);
        writer.WriteStartObject();
        writer.WriteString("node"u8, link.NodeId);
        writer.WriteString("inc"u8, incarnation);
        switch (item.Kind)
        {
            case OutgoingKind.Sync:
                writer.WriteString("type"u8, "sync");
                writer.WriteString("target"u8, item.Topic);
                break;
            case OutgoingKind.Diff:
                writer.WriteNumber("seq"u8, seq);
                writer.WriteString("type"u8, "diff");
                writer.WriteString("topic"u8, item.Topic);
                writer.WritePropertyName("diff"u8);
                writer.WriteRawValue(item.Diff.Span, skipInputValidation: true);
                break;
            case OutgoingKind.State:
                writer.WriteNumber("seq"u8, seq);
                writer.WriteString("type"u8, "state");
                writer.WriteStartObject("topics"u8);
                foreach (var topic in local.Topics())
                {
                    writer.WritePropertyName(topic);
                    local.WriteState(writer, topic);
                }

                writer.WriteEndObject();
                break;
            default:
                writer.WriteNumber("seq"u8, seq);
                writer.WriteString("type"u8, item.Kind == OutgoingKind.Bye ? "bye" : "hb");
                break;
        }

        writer.WriteEndObject();
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private void OnMessage(byte[] message)
    {
        try
        {
            using var document = JsonDocument.Parse(message);
            Receive(document.RootElement);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            link.Unreadable(Kind, e);
        }
    }

    private void Receive(JsonElement root)
    {
        var id = root.GetProperty("node").GetString()!;
        if (id == link.NodeId)
        {
            return;
        }

        var type = root.GetProperty("type").GetString();
        if (type == "sync")
        {
            var target = root.GetProperty("target").GetString();
            if (target == "*" || target == link.NodeId)
            {
                outbox.Writer.TryWrite(new Outgoing(OutgoingKind.State));
            }

            return;
        }

        var inc = root.GetProperty("inc").GetString()!;
        var seq = root.GetProperty("seq").GetInt64();
        var now = time.GetUtcNow();
        lock (gate)
        {
            if (nodes.TryGetValue(id, out var node) && node.Incarnation != inc)
            {
                Drop(id, node); // restarted under the same id: its former self is gone
                node = null;
            }

            if (type == "bye")
            {
                if (node is not null)
                {
                    Drop(id, node);
                }

                return;
            }

            if (node is null)
            {
                node = new RemoteNode(inc);
                nodes.Add(id, node);
            }

            node.LastHeard = now;
            var missed = node.Seq < 0;
            switch (type)
            {
                case "state":
                    Replace(node, root.GetProperty("topics"));
                    node.Seq = seq;
                    node.SyncAsked = null;
                    return;
                case "diff" when node.Seq < 0 || seq > node.Seq:
                    missed |= seq != node.Seq + 1;
                    Apply(node, root.GetProperty("topic").GetString()!, root.GetProperty("diff"));
                    node.Seq = seq;
                    break;
                case "hb":
                    missed |= seq > node.Seq;
                    break;
            }

            if (missed && (node.SyncAsked is not { } asked || now - asked > options.NodeTimeout))
            {
                node.SyncAsked = now;
                outbox.Writer.TryWrite(new Outgoing(OutgoingKind.Sync, Topic: id));
            }
        }
    }

    // Under the gate: a diff from another node, applied to its copy and passed to this node's sockets as it came.
    private void Apply(RemoteNode node, string topic, JsonElement diff)
    {
        if (!node.Topics.TryGetValue(topic, out var metas))
        {
            node.Topics[topic] = metas = new Dictionary<string, (string, byte[])>(StringComparer.Ordinal);
        }

        foreach (var (key, meta, phxRef) in Metas(diff.GetProperty("joins")))
        {
            metas[phxRef] = (key, meta);
        }

        foreach (var (_, _, phxRef) in Metas(diff.GetProperty("leaves")))
        {
            metas.Remove(phxRef);
        }

        if (metas.Count == 0)
        {
            node.Topics.Remove(topic);
        }

        Deliver(topic, JsonPayload.FromElement(diff));
    }

    // Under the gate: a node's whole state replaces its copy; what changed goes to this node's sockets.
    private void Replace(RemoteNode node, JsonElement topics)
    {
        var fresh = new Dictionary<string, Dictionary<string, (string Key, byte[] Meta)>>(StringComparer.Ordinal);
        foreach (var topic in topics.EnumerateObject())
        {
            var metas = new Dictionary<string, (string, byte[])>(StringComparer.Ordinal);
            foreach (var (key, meta, phxRef) in Metas(topic.Value))
            {
                metas[phxRef] = (key, meta);
            }

            fresh[topic.Name] = metas;
        }

        foreach (var topic in node.Topics.Keys.Union(fresh.Keys).ToList())
        {
            var before = node.Topics.GetValueOrDefault(topic);
            var after = fresh.GetValueOrDefault(topic);
            var joins = after?.Where(m => before?.ContainsKey(m.Key) != true).Select(m => m.Value).ToList() ?? [];
            var leaves = before?.Where(m => after?.ContainsKey(m.Key) != true).Select(m => m.Value).ToList() ?? [];
            if (joins.Count + leaves.Count > 0)
            {
                Deliver(topic, Diff(joins, leaves));
            }
        }

        node.Topics.Clear();
        foreach (var (topic, metas) in fresh)
        {
            node.Topics[topic] = metas;
        }
    }

    // Under the gate: a node gone; its presences leave.
    private void Drop(string id, RemoteNode node)
    {
        nodes.Remove(id);
        ThreadPool.UnsafeQueueUserWorkItem(static state => state.Presence.NodeGone?.Invoke(state.Id), (Presence: this, Id: id), preferLocal: false);
        foreach (var (topic, metas) in node.Topics)
        {
            Deliver(topic, Diff([], [.. metas.Values]));
        }
    }

    private void Deliver(string topic, JsonPayload diff) =>
        pubSub.Deliver(new Broadcast(topic, IPresence.DiffEvent, diff) { Droppable = true });

    // The metas of a state or of a diff's joins or leaves: {"key": {"metas": [meta, ...]}}.
    private static IEnumerable<(string Key, byte[] Meta, string Ref)> Metas(JsonElement presences)
    {
        foreach (var presence in presences.EnumerateObject())
        {
            foreach (var meta in presence.Value.GetProperty("metas").EnumerateArray())
            {
                var phxRef = meta.GetProperty("phx_ref").GetString() ?? throw new JsonException("A presence has no phx_ref.");
                yield return (presence.Name, JsonSerializer.SerializeToUtf8Bytes(meta), phxRef);
            }
        }
    }

    private static JsonPayload Diff(List<(string Key, byte[] Meta)> joins, List<(string Key, byte[] Meta)> leaves)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WritePropertyName("joins"u8);
            WritePresences(writer, Group(joins));
            writer.WritePropertyName("leaves"u8);
            WritePresences(writer, Group(leaves));
            writer.WriteEndObject();
        }

        return JsonPayload.FromUtf8(buffer.WrittenMemory);
    }

    private static Dictionary<string, List<ReadOnlyMemory<byte>>> Group(List<(string Key, byte[] Meta)> metas)
    {
        var byKey = new Dictionary<string, List<ReadOnlyMemory<byte>>>(StringComparer.Ordinal);
        foreach (var (key, meta) in metas)
        {
            Add(byKey, key, meta);
        }

        return byKey;
    }

    private static void Add(Dictionary<string, List<ReadOnlyMemory<byte>>> byKey, string key, ReadOnlyMemory<byte> meta)
    {
        if (!byKey.TryGetValue(key, out var list))
        {
            byKey[key] = list = [];
        }

        list.Add(meta);
    }

    private static void WritePresences(Utf8JsonWriter writer, Dictionary<string, List<ReadOnlyMemory<byte>>> byKey)
    {
        writer.WriteStartObject();
        foreach (var (key, metas) in byKey)
        {
            writer.WriteStartObject(key);
            writer.WriteStartArray("metas"u8);
            foreach (var meta in metas)
            {
                writer.WriteRawValue(meta.Span, skipInputValidation: true);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    // The local tracker's way out: its diffs reach this node's sockets, and (with Redis) the other nodes.
    private sealed class Outlet(ClusterPresence owner) : IPubSub
    {
        public ValueTask BroadcastAsync(Broadcast message, CancellationToken cancellationToken = default)
        {
            if (owner.queue is not null)
            {
                owner.outbox.Writer.TryWrite(new Outgoing(OutgoingKind.Diff, message.Topic, message.Payload.Utf8));
            }

            return owner.pubSub.LocalBroadcastAsync(message, cancellationToken);
        }

        public ValueTask LocalBroadcastAsync(Broadcast message, CancellationToken cancellationToken = default) =>
            owner.pubSub.LocalBroadcastAsync(message, cancellationToken);

        public IDisposable Subscribe(string topic, IBroadcastSubscriber subscriber) => owner.pubSub.Subscribe(topic, subscriber);
    }

    [LoggerMessage(EventId = 511, Level = LogLevel.Error, Message = "A presence message could not be sent; the other nodes ask for this node's state when they notice.")]
    private static partial void LogSendFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 510, Level = LogLevel.Warning, Message = "Node {NodeId} was not heard from for {Seconds} s: its presences leave.")]
    private static partial void LogNodeGone(ILogger logger, string nodeId, double seconds);
}

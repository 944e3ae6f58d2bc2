using System.Buffers;
using System.Text.Json;
using StackExchange.Redis;

namespace Confab.Cluster;

/// <summary>
/// Tells the other nodes of stored changes that are no room events but that every node keeps in memory: a room's roster
/// (a mute, a ban), a user's read marker, a deactivated user. Each node raises the events below for the other nodes'
/// notices, never for its own; with no Redis there are no other nodes, and publishing does nothing.
/// </summary>
/// <remarks>
/// A notice travels as <c>{"node": "web-1-4242", "notice": "roster", "room": 12}</c> (<c>"read"</c> with a room and a
/// user, <c>"deactivated"</c> with a user). Pub/sub loses messages only with a connection or a node: while this node's
/// subscription is down, while another node's publishing connection is (that node says <c>"lost"</c> when it is back),
/// or when a node dies between a commit and its publish. After each, <see cref="Missed"/> tells every keeper (and the
/// room events' <see cref="RedisBackplane"/>) to read its state from the store again.
/// </remarks>
public sealed class ClusterNotices(RedisLink link, ClusterPresence presence) : IHostedService
{
    /// <summary>The pub/sub channel of notices.</summary>
    public static readonly RedisChannel NoticesChannel = RedisChannel.Literal("confab:notices");

    private const string Kind = "notice";

    private ChannelMessageQueue? queue;

    /// <summary>Another node changed a room's roster (room id): read it again from the store.</summary>
    public event Action<long>? RosterChanged;

    /// <summary>Another node moved a user's read marker (room id, user id).</summary>
    public event Action<long, long>? ReadMoved;

    /// <summary>Another node deactivated a user (user id).</summary>
    public event Action<long>? UserDeactivated;

    /// <summary>
    /// Notices and room events may have been lost (this node's subscription was down, another node's publishing connection
    /// was, or a node died): read what you keep from the store again.
    /// </summary>
    public event Action? Missed;

    public void PublishRosterChanged(long roomId) => Publish("roster", roomId, null);

    public void PublishReadMoved(long roomId, long userId) => Publish("read", roomId, userId);

    public void PublishUserDeactivated(long userId) => Publish("deactivated", null, userId);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        queue = await link.SubscribeAsync(NoticesChannel, OnMessage, Kind);
        if (queue is not null)
        {
            link.SubscriptionRestored += OnRestored;
            link.PublishingRestored += OnPublishingRestored;
            presence.NodeGone += OnNodeGone;
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (queue is not null)
        {
            link.SubscriptionRestored -= OnRestored;
            link.PublishingRestored -= OnPublishingRestored;
            presence.NodeGone -= OnNodeGone;
            await queue.UnsubscribeAsync();
        }
    }

    private void OnRestored() => Missed?.Invoke();

    // What this node published while its connection was down may be lost: the others read it from the store.
    private void OnPublishingRestored() => Publish("lost", null, null);

    private void OnNodeGone(string node) => Missed?.Invoke();

    private void Publish(string notice, long? roomId, long? userId)
    {
        if (queue is null)
        {
            return;
        }

        var buffer = new ArrayBufferWriter<byte>(96);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("node"u8, link.NodeId);
            writer.WriteString("notice"u8, notice);
            if (roomId is { } room)
            {
                writer.WriteNumber("room"u8, room);
            }

            if (userId is { } user)
            {
                writer.WriteNumber("user"u8, user);
            }

            writer.WriteEndObject();
        }

        link.Publish(NoticesChannel, buffer.WrittenSpan.ToArray(), Kind);
    }

    private void OnMessage(byte[] message)
    {
        try
        {
            using var document = JsonDocument.Parse(message);
            var root = document.RootElement;
            if (root.GetProperty("node").GetString() == link.NodeId)
            {
                return;
            }

            switch (root.GetProperty("notice").GetString())
            {
                case "roster":
                    RosterChanged?.Invoke(root.GetProperty("room").GetInt64());
                    break;
                case "read":
                    ReadMoved?.Invoke(root.GetProperty("room").GetInt64(), root.GetProperty("user").GetInt64());
                    break;
                case "deactivated":
                    UserDeactivated?.Invoke(root.GetProperty("user").GetInt64());
                    break;
                case "lost":
                    Missed?.Invoke();
                    break;
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            link.Unreadable(Kind, e);
        }
    }
}

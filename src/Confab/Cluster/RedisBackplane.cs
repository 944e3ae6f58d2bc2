using System.Buffers;
using System.Text.Json;
using Confab.Api;
using Confab.Messages;
using Confab.Realtime;
using Confab.Rooms;
using Confab.Web.Chat;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Confab.Cluster;

/// <summary>
/// Carries room events between nodes over Redis pub/sub, when <c>Redis:Configuration</c> is set: every event this node
/// commits is published on <see cref="RoomEventsChannel"/> once it is stored, and every other node's is handed to this
/// node's <see cref="RoomEventStream"/>, whose per-room sequencers deliver each once, in seq order.
/// </summary>
/// <remarks>
/// <para>Pub/sub may lose a message (a reconnect, a restart); the database never does. A lost event shows as a gap when
/// the room's next event arrives, and the sequencer reads what is missing from the database. A room that falls silent
/// after a loss (or after its node died between commit and publish) is found by the sweep, which compares each room's
/// newest seq in the database with what this node delivered: at once whenever a loss may have happened
/// (<see cref="ClusterNotices.Missed"/>: this node's subscription reconnected, another node's publishing connection did,
/// or a node died), every <see cref="ClusterOptions.SweepInterval"/> while Redis does not answer, and every
/// <see cref="ClusterOptions.ConnectedSweepInterval"/> anyway.</para>
/// <para>Publishing never waits: a node whose Redis is down commits and acknowledges as before, and the others catch up
/// from the database.</para>
/// </remarks>
public sealed partial class RedisBackplane(
    IOptions<ClusterOptions> options, RedisLink link, ClusterNotices notices, MessageLog log, RoomEventStream stream, TimeProvider time,
    ILogger<RedisBackplane> logger)
    : IHostedService, IDisposable
{
    /// <summary>The pub/sub channel of every room's events.</summary>
    public static readonly RedisChannel RoomEventsChannel = RedisChannel.Literal("confab:room-events");

    private const string Kind = "room_event";

    private ChannelMessageQueue? queue;
    private CancellationTokenSource? stopping;
    private Task? sweeping;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        queue = await link.SubscribeAsync(RoomEventsChannel, OnMessage, Kind);
        if (queue is null)
        {
            return; // one node
        }

        notices.Missed += OnMissed;
        log.Committed += Publish;
        stopping = new CancellationTokenSource();
        sweeping = SweepAsync(stopping.Token);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (queue is null)
        {
            return;
        }

        log.Committed -= Publish;
        notices.Missed -= OnMissed;
        if (stopping is not null)
        {
            await stopping.CancelAsync();
            await (sweeping ?? Task.CompletedTask);
        }

        await queue.UnsubscribeAsync();
    }

    public void Dispose() => stopping?.Dispose();

    // On the message log's writer, after each commit: never waits. A lost publish is found by the others in the
    // database (their sweep, or the room's next event).
    private void Publish(IReadOnlyList<CommittedEvent> committed)
    {
        foreach (var change in committed)
        {
            link.Publish(RoomEventsChannel, BackplaneEnvelope.Write(link.NodeId, change.Room, change.Event, change.Payload), Kind);
        }
    }

    private void OnMessage(byte[] message)
    {
        BackplaneEnvelope.Event? received;
        try
        {
            received = BackplaneEnvelope.Read(message);
        }
        catch (JsonException e)
        {
            link.Unreadable(Kind, e);
            return;
        }

        if (received is null || received.Node == link.NodeId)
        {
            return; // this node's own: delivered when committed
        }

        stream.ReceiveRemote(received.Room, received.Name, received.Payload);
    }

    // Events may have been lost to this node: read them from the database.
    private void OnMissed() => _ = CatchUpAsync(CancellationToken.None);

    private async Task SweepAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval, time);
        var last = time.GetTimestamp();
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                if (link.IsConnected && time.GetElapsedTime(last) < options.Value.ConnectedSweepInterval)
                {
                    continue;
                }

                last = time.GetTimestamp();
                await CatchUpAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task CatchUpAsync(CancellationToken cancellationToken)
    {
        try
        {
            await stream.CatchUpAsync(cancellationToken);
        }
        catch (Exception e) when (e is Storage.StorageException or TimeoutException)
        {
            LogSweepFailed(logger, e);
        }
    }

    [LoggerMessage(EventId = 505, Level = LogLevel.Warning, Message = "Comparing the rooms' newest events with the database failed; trying again at the next sweep.")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}

/// <summary>
/// A room event as it travels between nodes: <c>{"node": "web-1-4242", "room": {...}, "event": "new_message",
/// "payload": {...}}</c>, the room as the API writes it and the payload as sockets receive it.
/// </summary>
public static class BackplaneEnvelope
{
    public sealed record Event(string Node, Room Room, string Name, IRoomEvent Payload);

    public static byte[] Write(string node, Room room, string name, IRoomEvent payload)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("node", node);
            writer.WritePropertyName("room");
            JsonSerializer.Serialize(writer, room, ConfabJsonContext.Default.Room);
            writer.WriteString("event", name);
            writer.WritePropertyName("payload");
            RoomEventJson.Write(writer, payload);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The event, or null for an event this version does not know (a newer node's).</summary>
    public static Event? Read(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        using var document = JsonDocument.ParseValue(ref reader);
        var root = document.RootElement;
        var name = root.GetProperty("event").GetString() ?? throw new JsonException("The envelope has no event name.");
        var payload = RoomEvents.Read(name, root.GetProperty("payload"));
        if (payload is null)
        {
            return null;
        }

        var room = root.GetProperty("room").Deserialize(ConfabJsonContext.Default.Room) ?? throw new JsonException("The envelope has no room.");
        // A message's room is not part of its JSON: it is the envelope's.
        payload = payload switch
        {
            Message message => message with { RoomId = room.Id },
            MessageUpdated updated => updated with { Message = updated.Message with { RoomId = room.Id } },
            _ => payload,
        };
        return new Event(root.GetProperty("node").GetString() ?? throw new JsonException("The envelope has no node."), room, name, payload);
    }
}

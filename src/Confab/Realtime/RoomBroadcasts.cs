using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Confab.Api;
using Confab.Channels;
using Confab.Messages;
using Confab.Telemetry;

namespace Confab.Realtime;

/// <summary>
/// Hands every room event this process commits (<c>new_message</c>, <c>message_updated</c>, <c>message_deleted</c>,
/// <c>reaction_added</c>, <c>reaction_removed</c>) to the <see cref="RoomEventStream"/>, which publishes each once, in seq
/// order, on <c>room:&lt;slug&gt;</c>, whichever transport made it. The payload is encoded once there; sockets write those
/// bytes, and in-process subscribers (the web UI) get the event itself (<see cref="IRoomEvent"/>) as <see cref="Broadcast.Value"/>.
/// </summary>
public sealed class RoomBroadcasts(MessageLog log, RoomEventStream stream, ConfabMetrics metrics) : IHostedService
{
    public const string NewMessageEvent = RoomEventNames.NewMessage;
    public const string TypingEvent = "user_typing";

    public static string Topic(string slug) => RoomChannel.TopicPrefix + slug;

    public static JsonPayload TypingPayload(UserTyping typing) => JsonPayload.Serialize(typing, ConfabJsonContext.Default.UserTyping);

    /// <summary>A broadcast's value: the object itself when it was published in this process, else decoded from its JSON.</summary>
    public static T? Read<T>(Broadcast broadcast, JsonTypeInfo<T> type) where T : class =>
        broadcast.Value as T ?? JsonSerializer.Deserialize(broadcast.Payload.Utf8.Span, type);

    /// <summary>A room event's payload (the object itself when published in this process); null for typing and presence.</summary>
    public static IRoomEvent? ReadEvent(Broadcast broadcast) =>
        broadcast.Value as IRoomEvent ?? RoomEventJson.Read(broadcast.Event, broadcast.Payload.Utf8.Span);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        log.Committed += Publish;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        log.Committed -= Publish;
        return Task.CompletedTask;
    }

    private void Publish(IReadOnlyList<CommittedEvent> committed)
    {
        foreach (var (room, name, payload, receivedAt) in committed)
        {
            stream.Receive(room, new RoomEventEntry(name, payload));
            metrics.MessageReached(ConfabMetricsStages.Delivered, receivedAt);
        }
    }
}

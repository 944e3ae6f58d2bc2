using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Confab.Api;
using Confab.Channels;
using Confab.Messages;
using Confab.Telemetry;

namespace Confab.Realtime;

/// <summary>
/// Publishes every committed room event (<c>new_message</c>, <c>message_updated</c>, <c>message_deleted</c>,
/// <c>reaction_added</c>, <c>reaction_removed</c>) on <c>room:&lt;slug&gt;</c>, once, in commit order (so in seq order), whichever
/// transport made it. The payload is encoded once here; sockets write those bytes, and in-process subscribers (the web UI)
/// get the event itself (<see cref="IRoomEvent"/>) as <see cref="Broadcast.Value"/>.
/// </summary>
public sealed partial class RoomBroadcasts(MessageLog log, IPubSub pubSub, ConfabMetrics metrics, ILogger<RoomBroadcasts> logger) : IHostedService
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
            var published = pubSub.BroadcastAsync(new Broadcast(Topic(room.Slug), name, RoomEventJson.Payload(payload), payload));
            if (published.IsCompletedSuccessfully)
            {
                metrics.MessageReached(ConfabMetricsStages.Delivered, receivedAt);
            }
            else
            {
                _ = ObserveAsync(published, room.Slug, receivedAt);
            }
        }
    }

    private async Task ObserveAsync(ValueTask published, string slug, long receivedAt)
    {
        try
        {
            await published;
            metrics.MessageReached(ConfabMetricsStages.Delivered, receivedAt);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Committed but not delivered live: clients get it on their next join with last_seq.
            LogPublishFailed(logger, e, slug);
        }
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Error, Message = "Publishing a committed message to room {Slug} failed.")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception, string slug);
}

using System.Text.Json;
using System.Text.Json.Serialization;
using Confab.Messages;

namespace Confab.Web.Chat;

/// <summary>The room channel's names and payloads as the browser's page reads them (docs/protocol.md).</summary>
public static class RoomEvents
{
    public const string TopicPrefix = "room:";
    public const string TypingEvent = "user_typing";
    public const string TokenExpiredEvent = "token_expired";
    public const string TokenExpiredReason = "token expired";

    /// <summary>The reply to a push on a channel the server no longer has (it closed it, e.g. at the token's expiry).</summary>
    public const string UnmatchedTopicReason = "unmatched topic";

    /// <summary>The reason of a post or change that was not stored: it may be sent again.</summary>
    public const string NotSavedReason = "the message could not be saved; please retry";

    /// <summary>The room events, each with its seq.</summary>
    public static readonly IReadOnlyList<string> Names =
    [
        RoomEventNames.NewMessage, RoomEventNames.MessageUpdated, RoomEventNames.MessageDeleted, RoomEventNames.ReactionAdded,
        RoomEventNames.ReactionRemoved, RoomEventNames.MemberAdded, RoomEventNames.MemberUpdated, RoomEventNames.MemberRemoved,
        RoomEventNames.RoomUpdated,
    ];

    /// <summary>A room event's payload by its event's name; null for other events.</summary>
    public static IRoomEvent? Read(string @event, JsonElement payload) => @event switch
    {
        RoomEventNames.NewMessage => payload.Deserialize(RoomJson.Default.Message),
        RoomEventNames.MessageUpdated => payload.Deserialize(RoomJson.Default.MessageUpdated),
        RoomEventNames.MessageDeleted => payload.Deserialize(RoomJson.Default.MessageDeleted),
        RoomEventNames.ReactionAdded or RoomEventNames.ReactionRemoved => Reaction(@event, payload.Deserialize(RoomJson.Default.ReactionChanged)),
        RoomEventNames.MemberAdded or RoomEventNames.MemberUpdated or RoomEventNames.MemberRemoved => payload.Deserialize(RoomJson.Default.MemberChanged),
        RoomEventNames.RoomUpdated => payload.Deserialize(RoomJson.Default.RoomUpdated),
        _ => null,
    };

    /// <summary>A room event's payload by its event's name, from its JSON (a broadcast published elsewhere); null for other events.</summary>
    public static IRoomEvent? Read(string @event, ReadOnlySpan<byte> json) => @event switch
    {
        RoomEventNames.NewMessage => JsonSerializer.Deserialize(json, RoomJson.Default.Message),
        RoomEventNames.MessageUpdated => JsonSerializer.Deserialize(json, RoomJson.Default.MessageUpdated),
        RoomEventNames.MessageDeleted => JsonSerializer.Deserialize(json, RoomJson.Default.MessageDeleted),
        RoomEventNames.ReactionAdded or RoomEventNames.ReactionRemoved => Reaction(@event, JsonSerializer.Deserialize(json, RoomJson.Default.ReactionChanged)),
        RoomEventNames.MemberAdded or RoomEventNames.MemberUpdated or RoomEventNames.MemberRemoved => JsonSerializer.Deserialize(json, RoomJson.Default.MemberChanged),
        RoomEventNames.RoomUpdated => JsonSerializer.Deserialize(json, RoomJson.Default.RoomUpdated),
        _ => null,
    };

    private static ReactionChanged? Reaction(string @event, ReactionChanged? reaction) =>
        reaction is null ? null : reaction with { Added = @event == RoomEventNames.ReactionAdded };

    /// <summary>Replayed events, <c>[{"event": "message_deleted", "payload": {...}}, ...]</c>.</summary>
    public static List<RoomEventEntry> ReadEntries(JsonElement entries)
    {
        var events = new List<RoomEventEntry>(entries.GetArrayLength());
        foreach (var entry in entries.EnumerateArray())
        {
            var name = entry.GetProperty("event").GetString()!;
            if (Read(name, entry.GetProperty("payload")) is { } payload)
            {
                events.Add(new RoomEventEntry(name, payload));
            }
        }

        return events;
    }
}

/// <summary>The JSON the browser's page reads, source-generated (nothing is left to reflection after trimming), in snake_case.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(Message))]
[JsonSerializable(typeof(IReadOnlyList<Message>))]
[JsonSerializable(typeof(MessagePage))]
[JsonSerializable(typeof(MessageUpdated))]
[JsonSerializable(typeof(MessageDeleted))]
[JsonSerializable(typeof(ReactionChanged))]
[JsonSerializable(typeof(MemberChanged))]
[JsonSerializable(typeof(RoomUpdated))]
[JsonSerializable(typeof(JsonDocument))]
[JsonSerializable(typeof(UserNotice))]
[JsonSerializable(typeof(IReadOnlyList<Confab.Rooms.RoomListing>))]
[JsonSerializable(typeof(UserList))]
[JsonSerializable(typeof(DirectRequest))]
[JsonSerializable(typeof(IReadOnlyList<MemberEntry>))]
internal sealed partial class RoomJson : JsonSerializerContext;

/// <summary><c>GET /api/users</c>: <c>{"users": [{id, username}]}</c>.</summary>
public sealed record UserList(IReadOnlyList<MessageAuthor> Users);

/// <summary>One of <c>GET /api/rooms/{slug}/members</c>: <c>{user, role, muted_until}</c>.</summary>
public sealed record MemberEntry(MessageAuthor User, string Role);

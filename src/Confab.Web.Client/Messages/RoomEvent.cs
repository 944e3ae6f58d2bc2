namespace Confab.Messages;

/// <summary>
/// A change to a room, numbered by the room's <c>seq</c> (docs/protocol.md). Every payload carries its event's seq:
/// <see cref="Message"/> for <c>new_message</c>, and the records below for the others.
/// </summary>
public interface IRoomEvent
{
    long Seq { get; }
}

/// <summary>The names of room events, as broadcast and as replayed.</summary>
public static class RoomEventNames
{
    public const string NewMessage = "new_message";
    public const string MessageUpdated = "message_updated";
    public const string MessageDeleted = "message_deleted";
    public const string ReactionAdded = "reaction_added";
    public const string ReactionRemoved = "reaction_removed";
    public const string MemberAdded = "member_added";
    public const string MemberUpdated = "member_updated";
    public const string MemberRemoved = "member_removed";
    public const string RoomUpdated = "room_updated";
}

/// <summary><c>message_updated</c> <c>{"seq": 9, "message": {...}}</c>: the message's state after the edit.</summary>
public sealed record MessageUpdated(long Seq, Message Message) : IRoomEvent;

/// <summary><c>message_deleted</c> <c>{"seq": 10, "message_id": 42}</c>.</summary>
public sealed record MessageDeleted(long Seq, long MessageId) : IRoomEvent;

/// <summary><c>reaction_added</c> / <c>reaction_removed</c> <c>{"seq": 11, "message_id": 42, "emoji": "👍", "user": {...}}</c>.</summary>
public sealed record ReactionChanged(long Seq, long MessageId, string Emoji, MessageAuthor User) : IRoomEvent
{
    /// <summary>Added (<c>reaction_added</c>) or removed (<c>reaction_removed</c>): the event's name says it on the wire.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool Added { get; init; }
}

/// <summary>
/// <c>member_added</c> / <c>member_updated</c> <c>{"seq": 12, "user": {...}, "role": "member"}</c> (someone joined or was
/// added; their role changed), <c>member_removed</c> <c>{"seq": 13, "user": {...}}</c> (left, removed or banned).
/// </summary>
public sealed record MemberChanged(
    long Seq, MessageAuthor User, [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Role)
    : IRoomEvent;

/// <summary><c>room_updated</c> <c>{"seq": 14, "slow_mode_seconds": 30}</c>: the room's settings changed.</summary>
public sealed record RoomUpdated(long Seq, int SlowModeSeconds) : IRoomEvent;

/// <summary>
/// A room event as replayed to a client that was away: <c>{"event": "message_deleted", "payload": {...}}</c>, the payload
/// as the event's broadcast carried it (a deleted message's text excepted: it is gone).
/// </summary>
public sealed record RoomEventEntry(string Event, IRoomEvent Payload);

/// <summary>Room events after a seq, in seq order: <c>{"events": [...], "has_more": false}</c>.</summary>
public sealed record RoomEventPage(IReadOnlyList<RoomEventEntry> Events, bool HasMore);

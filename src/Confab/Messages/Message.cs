using System.Text.Json.Serialization;

namespace Confab.Messages;

/// <summary>
/// A stored message, as every transport shows it:
/// <c>{"id": 42, "seq": 7, "content": "hi", "user": {"id": 3, "username": "alice"}, "inserted_at": "2026-11-28T10:00:00.000Z", "client_id": "..."}</c>.
/// </summary>
public sealed record Message(
    long Id,
    [property: JsonIgnore] long RoomId,
    long Seq,
    string Content,
    MessageAuthor User,
    DateTime InsertedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ClientId);

public sealed record MessageAuthor(long Id, string Username);

/// <summary>A page of history, oldest first. <see cref="HasMore"/>: more messages lie beyond the page in the direction read.</summary>
public sealed record MessagePage(IReadOnlyList<Message> Messages, bool HasMore);

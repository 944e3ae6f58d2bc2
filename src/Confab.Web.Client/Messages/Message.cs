using System.Text.Json.Serialization;

namespace Confab.Messages;

/// <summary>
/// A stored message in its current state, as every transport shows it:
/// <c>{"id": 42, "seq": 7, "content": "hi", "user": {"id": 3, "username": "alice"}, "inserted_at": "2026-11-28T10:00:00.000Z",
/// "client_id": "...", "edited_at": null, "deleted": false, "reactions": [{"emoji": "👍", "count": 2, "user_ids": [3, 5]}],
/// "reply_to": null, "mentions": [5]}</c>. <see cref="Seq"/> is the seq at which it was posted; a deleted message is a tombstone with
/// empty content and no reactions.
/// </summary>
public sealed record Message(
    long Id,
    [property: JsonIgnore] long RoomId,
    long Seq,
    string Content,
    MessageAuthor User,
    DateTime InsertedAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? ClientId) : IRoomEvent
{
    /// <summary>When the content was last edited; null when never.</summary>
    public DateTime? EditedAt { get; init; }

    public bool Deleted { get; init; }

    /// <summary>Each emoji with who reacted, in the order the emoji were first used.</summary>
    public IReadOnlyList<ReactionSummary> Reactions { get; init; } = [];

    /// <summary>The message this one replies to, as it was when read.</summary>
    public ReplyPreview? ReplyTo { get; init; }

    /// <summary>The ids of the members it mentions (<c>@alice</c>; <c>@room</c>, by an owner or admin, is everyone), as posted.</summary>
    public IReadOnlyList<long> Mentions { get; init; } = [];

    // Equal by value, reactions included (a record compares lists by reference).
    public bool Equals(Message? other) =>
        other is not null && Id == other.Id && RoomId == other.RoomId && Seq == other.Seq && Content == other.Content && User == other.User
        && InsertedAt == other.InsertedAt && ClientId == other.ClientId && EditedAt == other.EditedAt && Deleted == other.Deleted
        && ReplyTo == other.ReplyTo && Reactions.SequenceEqual(other.Reactions);

    public override int GetHashCode() => HashCode.Combine(Id, Seq, Content, EditedAt, Deleted);
}

public sealed record MessageAuthor(long Id, string Username);

/// <summary><c>{"emoji": "👍", "count": 2, "user_ids": [3, 5]}</c>.</summary>
public sealed record ReactionSummary(string Emoji, int Count, IReadOnlyList<long> UserIds)
{
    public bool Equals(ReactionSummary? other) => other is not null && Emoji == other.Emoji && Count == other.Count && UserIds.SequenceEqual(other.UserIds);

    public override int GetHashCode() => HashCode.Combine(Emoji, Count);
}

/// <summary><c>{"id": 41, "seq": 6, "user": {...}, "excerpt": "the first 100 characters"}</c> (empty when deleted).</summary>
public sealed record ReplyPreview(long Id, long Seq, MessageAuthor User, string Excerpt)
{
    public const int ExcerptLength = 100;
}

/// <summary>A page of history, oldest first. <see cref="HasMore"/>: more messages lie beyond the page in the direction read.</summary>
public sealed record MessagePage(IReadOnlyList<Message> Messages, bool HasMore);

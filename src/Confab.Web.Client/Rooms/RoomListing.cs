using System.Text.Json.Serialization;
using Confab.Messages;

namespace Confab.Rooms;

/// <summary>
/// A room as one user sees it (<c>GET /api/rooms</c>, <c>GET /api/rooms/{slug}</c>, the sidebar): the room, the user's
/// <see cref="RoomRole"/> in it and what they have not read (null when not a member) and, for a direct room, the other
/// person.
/// </summary>
public sealed record RoomListing(
    long Id, string Name, string Description, string Slug, DateTime InsertedAt, string Visibility, int SlowModeSeconds, string? Role,
    MessageAuthor? DirectWith, long? LastReadSeq, int? UnreadCount, int? MentionCount)
{
    /// <summary>What the user calls the room: the other person's name for a direct room, else its name.</summary>
    [JsonIgnore]
    public string Title => DirectWith?.Username ?? Name;

    [JsonIgnore]
    public bool IsMember => Role is not null;

    [JsonIgnore]
    public bool IsDirect => Visibility == RoomVisibility.Direct;
}

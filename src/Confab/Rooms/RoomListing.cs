using Confab.Messages;
using Confab.Storage;

namespace Confab.Rooms;

/// <summary>
/// A room as one user sees it (<c>GET /api/rooms</c>, <c>GET /api/rooms/{slug}</c>): the room, the user's
/// <see cref="RoomRole"/> in it and what they have not read (null when not a member) and, for a direct room, the other
/// person.
/// </summary>
public sealed record RoomListing(
    long Id, string Name, string Description, string Slug, DateTime InsertedAt, string Visibility, int SlowModeSeconds, string? Role,
    MessageAuthor? DirectWith, long? LastReadSeq, int? UnreadCount, int? MentionCount)
{
    public static RoomListing Of(Room room, int slowModeSeconds, string? role, MessageAuthor? directWith, ReadCounts? counts) =>
        new(room.Id, room.Name, room.Description, room.Slug, room.InsertedAt, room.Visibility, slowModeSeconds, role, directWith,
            counts?.LastReadSeq, counts?.UnreadCount, counts?.MentionCount);
}

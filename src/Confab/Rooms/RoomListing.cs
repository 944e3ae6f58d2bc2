using Confab.Messages;

namespace Confab.Rooms;

/// <summary>
/// A room as one user sees it (<c>GET /api/rooms</c>, <c>GET /api/rooms/{slug}</c>): the room, the user's
/// <see cref="RoomRole"/> in it (null when not a member) and, for a direct room, the other person.
/// </summary>
public sealed record RoomListing(
    long Id, string Name, string Description, string Slug, DateTime InsertedAt, string Visibility, int SlowModeSeconds, string? Role,
    MessageAuthor? DirectWith)
{
    public static RoomListing Of(Room room, int slowModeSeconds, string? role, MessageAuthor? directWith) =>
        new(room.Id, room.Name, room.Description, room.Slug, room.InsertedAt, room.Visibility, slowModeSeconds, role, directWith);
}

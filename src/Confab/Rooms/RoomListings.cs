using Confab.Messages;
using Confab.Storage;

namespace Confab.Rooms;

public static class RoomListings
{
    public static RoomListing Of(Room room, int slowModeSeconds, string? role, MessageAuthor? directWith, ReadCounts? counts) =>
        new(room.Id, room.Name, room.Description, room.Slug, room.InsertedAt, room.Visibility, slowModeSeconds, role, directWith,
            counts?.LastReadSeq, counts?.UnreadCount, counts?.MentionCount);
}

using Confab.Messages;
using Confab.Rooms;

namespace Confab.Storage;

public sealed partial class ChatStore
{
    private const string RoomColumns = "id, name, description, slug, inserted_at, visibility";

    /// <summary><see cref="RoomColumns"/> of <c>rooms r</c>, in a query that joins other tables.</summary>
    private const string RoomColumnsOfR = "r.id, r.name, r.description, r.slug, r.inserted_at, r.visibility";

    /// <summary>Every room, by id: for the server's own use (and the load generator's), never for a user's request.</summary>
    public async Task<IReadOnlyList<Room>> ListRoomsAsync(CancellationToken cancellationToken = default) =>
        (await executor.ExecuteAsync(new SqlStatement($"SELECT {RoomColumns} FROM rooms ORDER BY id"), cancellationToken)).Rows.Select(ReadRoom).ToList();

    public async Task<Room?> GetRoomBySlugAsync(string slug, CancellationToken cancellationToken = default)
    {
        var row = await QuerySingleAsync(new SqlStatement($"SELECT {RoomColumns} FROM rooms WHERE slug = ?1", slug), cancellationToken);
        return row is null ? null : ReadRoom(row);
    }

    /// <summary>
    /// The rooms <paramref name="userId"/> may see, by id: every public room they are not banned from, and every room
    /// they belong to; each with their role and read marker (null when not a member) and, for a direct room, the other
    /// person. The counts are left to <see cref="Rooms.ReadState"/>, which keeps them in memory.
    /// </summary>
    public async Task<IReadOnlyList<RoomListing>> ListRoomsForAsync(long userId, CancellationToken cancellationToken = default) =>
        (await executor.ExecuteAsync(
            new SqlStatement(
                $"""
                SELECT {RoomColumnsOfR}, r.slow_mode_seconds, rm.role, rm.last_read_seq, du.id AS direct_id, du.username AS direct_username
                FROM rooms r
                LEFT JOIN room_members rm ON rm.room_id = r.id AND rm.user_id = ?1
                LEFT JOIN users du ON r.visibility = 'direct'
                    AND du.id = (SELECT o.user_id FROM room_members o WHERE o.room_id = r.id AND o.user_id <> ?1 LIMIT 1)
                WHERE rm.user_id IS NOT NULL
                   OR (r.visibility = 'public' AND NOT EXISTS (SELECT 1 FROM room_bans b WHERE b.room_id = r.id AND b.user_id = ?1))
                ORDER BY r.id
                """,
                userId),
            cancellationToken))
        .Rows.Select(row => RoomListings.Of(
            ReadRoom(row),
            (int)row.GetInt64("slow_mode_seconds"),
            row.GetNullableString("role"),
            row["direct_id"] is null ? null : new MessageAuthor(row.GetInt64("direct_id"), row.GetString("direct_username")),
            null) with { LastReadSeq = row["last_read_seq"] is null ? null : row.GetInt64("last_read_seq") })
        .ToList();

    /// <summary>Inserts a room; null when the slug (or, for a direct room, the pair's <paramref name="directKey"/>) is taken.</summary>
    public async Task<Room?> CreateRoomAsync(
        string name, string description, string slug, string visibility, DateTimeOffset now, string? directKey = null,
        CancellationToken cancellationToken = default)
    {
        var row = await QuerySingleAsync(
            new SqlStatement(
                $"""
                INSERT INTO rooms (name, description, slug, inserted_at, updated_at, visibility, direct_key)
                VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6) ON CONFLICT DO NOTHING RETURNING {RoomColumns}
                """,
                name, description, slug, DbTime.ToText(now), visibility, directKey),
            cancellationToken);
        return row is null ? null : ReadRoom(row);
    }

    /// <summary>Sets a room's slow mode: each member may post once per <paramref name="seconds"/> (0: off).</summary>
    public static SqlStatement UpdateSlowMode(long roomId, int seconds) =>
        new("UPDATE rooms SET slow_mode_seconds = ?2 WHERE id = ?1 AND slow_mode_seconds <> ?2", roomId, seconds);

    /// <summary>The direct room of a pair of users (<see cref="RoomDirectory.DirectKey"/>), if they have one.</summary>
    public async Task<Room?> GetDirectRoomAsync(string directKey, CancellationToken cancellationToken = default)
    {
        var row = await QuerySingleAsync(new SqlStatement($"SELECT {RoomColumns} FROM rooms WHERE direct_key = ?1", directKey), cancellationToken);
        return row is null ? null : ReadRoom(row);
    }

    private static Room ReadRoom(SqlRow row) =>
        new(row.GetInt64("id"), row.GetString("name"), row.GetString("description"), row.GetString("slug"), DbTime.Parse(row.GetString("inserted_at")))
        {
            Visibility = row.GetString("visibility"),
        };
}

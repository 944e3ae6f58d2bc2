using Confab.Messages;
using Confab.Rooms;

namespace Confab.Storage;

public sealed partial class ChatStore
{
    /// <summary>A room's members (with their roles and mutes), the users banned from it and its slow mode, read at one instant.</summary>
    public async Task<(IReadOnlyList<RoomMember> Members, IReadOnlyList<long> Banned, int SlowModeSeconds)> ReadRosterAsync(
        long roomId, CancellationToken cancellationToken = default)
    {
        var results = await executor.ReadAsync(
            [
                new SqlStatement(
                    "SELECT m.user_id, u.username, m.role, m.muted_until FROM room_members m JOIN users u ON u.id = m.user_id WHERE m.room_id = ?1",
                    roomId),
                new SqlStatement("SELECT user_id FROM room_bans WHERE room_id = ?1", roomId),
                new SqlStatement("SELECT slow_mode_seconds FROM rooms WHERE id = ?1", roomId),
            ],
            cancellationToken);
        var members = results[0].Rows
            .Select(row => new RoomMember(
                new MessageAuthor(row.GetInt64("user_id"), row.GetString("username")),
                row.GetString("role"),
                row.GetNullableString("muted_until") is { } until ? DbTime.Parse(until) : (DateTime?)null))
            .ToList();
        var slowMode = results[2].Rows.Count > 0 ? (int)results[2].Rows[0].GetInt64("slow_mode_seconds") : 0;
        return (members, results[1].Rows.Select(row => row.GetInt64("user_id")).ToList(), slowMode);
    }

    /// <summary>A user by username (any case); null when there is none.</summary>
    public async Task<MessageAuthor?> FindUserAsync(string username, CancellationToken cancellationToken = default)
    {
        var row = await QuerySingleAsync(new SqlStatement("SELECT id, username FROM users WHERE username = ?1", username), cancellationToken);
        return row is null ? null : new MessageAuthor(row.GetInt64("id"), row.GetString("username"));
    }

    /// <summary>Active users whose username starts with <paramref name="prefix"/> (any case), by username.</summary>
    public async Task<IReadOnlyList<MessageAuthor>> FindUsersAsync(string prefix, int limit, CancellationToken cancellationToken = default)
    {
        var pattern = prefix.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal)
            .Replace("_", @"\_", StringComparison.Ordinal) + "%";
        var result = await executor.ExecuteAsync(
            new SqlStatement(
                @"SELECT id, username FROM users WHERE username LIKE ?1 ESCAPE '\' AND deactivated_at IS NULL ORDER BY username LIMIT ?2",
                pattern, limit),
            cancellationToken);
        return result.Rows.Select(row => new MessageAuthor(row.GetInt64("id"), row.GetString("username"))).ToList();
    }

    /// <summary>
    /// A new member, unless they are one already or banned from the room. Their read marker starts at the room's newest
    /// event: what came before they joined is not unread.
    /// </summary>
    public static SqlStatement InsertMember(long roomId, long userId, string role, string insertedAt) =>
        new(
            $"""
            INSERT INTO room_members (room_id, user_id, role, last_read_seq, inserted_at)
            SELECT ?1, ?2, ?3, {NextSeq} - 1, ?4 WHERE NOT EXISTS (SELECT 1 FROM room_bans WHERE room_id = ?1 AND user_id = ?2)
            ON CONFLICT DO NOTHING
            """,
            roomId, userId, role, insertedAt);

    /// <summary>A member's new role, when it is a change.</summary>
    public static SqlStatement UpdateRole(long roomId, long userId, string role) =>
        new("UPDATE room_members SET role = ?3 WHERE room_id = ?1 AND user_id = ?2 AND role <> ?3", roomId, userId, role);

    public static SqlStatement DeleteMember(long roomId, long userId) =>
        new("DELETE FROM room_members WHERE room_id = ?1 AND user_id = ?2", roomId, userId);

    public static SqlStatement InsertBan(long roomId, long userId, long bannedBy, string insertedAt) =>
        new("INSERT INTO room_bans (room_id, user_id, banned_by, inserted_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING", roomId, userId, bannedBy, insertedAt);

    /// <summary>Lifts a ban; false when there was none.</summary>
    public async Task<bool> DeleteBanAsync(long roomId, long userId, CancellationToken cancellationToken = default) =>
        (await executor.ExecuteAsync(new SqlStatement("DELETE FROM room_bans WHERE room_id = ?1 AND user_id = ?2", roomId, userId), cancellationToken))
        .Changes > 0;

    /// <summary>Mutes a member until <paramref name="until"/> (null: unmutes); false when they are no member.</summary>
    public async Task<bool> SetMutedUntilAsync(long roomId, long userId, DateTimeOffset? until, CancellationToken cancellationToken = default) =>
        (await executor.ExecuteAsync(
            new SqlStatement(
                "UPDATE room_members SET muted_until = ?3 WHERE room_id = ?1 AND user_id = ?2",
                roomId, userId, until is { } at ? DbTime.ToText(at) : null),
            cancellationToken))
        .Changes > 0;

    /// <summary>
    /// The event row of a member added, changed or removed (or of a room's change: <paramref name="subjectId"/> null), with the room's next seq, only when the statement before it
    /// changed one row: an addition of a member already there, or a removal of one who is not, takes no seq.
    /// </summary>
    public static SqlStatement InsertRoomEvent(long roomId, string @event, long actorId, long? subjectId, string? detail, string insertedAt) =>
        new(
            $"""
            INSERT INTO room_events (room_id, seq, event, user_id, subject_id, detail, inserted_at)
            SELECT ?1, {NextSeq}, ?2, ?3, ?4, ?5, ?6 WHERE changes() = 1
            """,
            roomId, @event, actorId, subjectId, detail, insertedAt);
}

namespace Confab.Storage;

/// <summary>What a member of a room has not read: messages after their read marker, by others, not deleted; and of those, the ones mentioning them.</summary>
public sealed record ReadCounts(long UserId, long LastReadSeq, int UnreadCount, int MentionCount);

public sealed partial class ChatStore
{
    // A member's counts (rm: their room_members row), as correlated subqueries: both walk the index from the marker on.
    private const string CountColumns =
        """
        (SELECT COUNT(*) FROM messages m WHERE m.room_id = rm.room_id AND m.seq > rm.last_read_seq AND m.user_id <> rm.user_id
            AND m.deleted_at IS NULL) AS unread_count,
        (SELECT COUNT(*) FROM message_mentions mm JOIN messages m ON m.id = mm.message_id
            WHERE mm.user_id = rm.user_id AND mm.room_id = rm.room_id AND mm.seq > rm.last_read_seq AND m.deleted_at IS NULL
            AND m.user_id <> rm.user_id) AS mention_count
        """;

    /// <summary>
    /// The read counts of a room's members (or of one, <paramref name="userId"/>) and the room's newest seq, read at one
    /// instant: the counts cover exactly the events up to that seq.
    /// </summary>
    public async Task<(long LastSeq, IReadOnlyList<ReadCounts> Counts)> ReadCountsAsync(long roomId, long? userId = null, CancellationToken cancellationToken = default)
    {
        var results = await executor.ReadAsync(
            [
                LastSeq(roomId),
                new SqlStatement(
                    $"SELECT rm.user_id, rm.last_read_seq, {CountColumns} FROM room_members rm WHERE rm.room_id = ?1 AND rm.user_id = COALESCE(?2, rm.user_id)",
                    roomId, userId),
            ],
            cancellationToken);
        return (results[0].Rows[0].GetInt64("seq"), results[1].Rows.Select(ReadCountsOf).ToList());
    }

    /// <summary>Moves a member's read marker forward to <paramref name="seq"/> (at most the room's newest seq); never back.</summary>
    public async Task MarkReadAsync(long roomId, long userId, long seq, CancellationToken cancellationToken = default) =>
        await executor.ExecuteAsync(
            new SqlStatement(
                $"""
                UPDATE room_members SET last_read_seq = min(?3, {NextSeq} - 1)
                WHERE room_id = ?1 AND user_id = ?2 AND last_read_seq < min(?3, {NextSeq} - 1)
                """,
                roomId, userId, Math.Min(seq, SqlStatement.MaxSafeInteger)),
            cancellationToken);

    private static ReadCounts ReadCountsOf(SqlRow row) =>
        new(row.GetInt64("user_id"), row.GetInt64("last_read_seq"), (int)row.GetInt64("unread_count"), (int)row.GetInt64("mention_count"));
}

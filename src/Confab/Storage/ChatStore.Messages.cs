using Confab.Messages;

namespace Confab.Storage;

public sealed partial class ChatStore
{
    private const string MessageColumns =
        "m.id, m.room_id, m.seq, m.content, m.client_id, m.inserted_at, m.user_id, u.username";

    /// <summary>
    /// Inserts one message with the room's next <c>seq</c>, computed inside the transaction that commits it.
    /// With a <c>client_id</c> the sender already used, nothing is inserted (<see cref="SqlResult.Changes"/> 0).
    /// No <c>RETURNING</c>: it cost SQLite as much as the insert itself. The new row's id is
    /// <see cref="SqlResult.LastRowId"/>; its seq is read by <see cref="MessageInserts"/>. Five parameters.
    /// </summary>
    public static SqlStatement InsertMessage(long roomId, long userId, string content, string? clientId, string insertedAt) =>
        new(
            """
            INSERT INTO messages (room_id, user_id, seq, content, client_id, inserted_at)
            VALUES (?1, ?2, (SELECT COALESCE(MAX(seq), 0) + 1 FROM messages WHERE room_id = ?1), ?3, ?4, ?5)
            ON CONFLICT (user_id, client_id) WHERE client_id IS NOT NULL DO NOTHING
            """,
            roomId, userId, content, clientId, insertedAt);

    /// <inheritdoc cref="InsertMessage(long, long, string, string?, string)"/>
    public static SqlStatement InsertMessage(long roomId, long userId, string content, string? clientId, DateTimeOffset now) =>
        InsertMessage(roomId, userId, content, clientId, DbTime.ToText(now));

    /// <summary>
    /// The last <c>seq</c> of each room (0 for none yet), one row per room: <c>room_id, seq</c>. At most
    /// <see cref="SqlStatement.MaxParameters"/> rooms. Each room's MAX is one index probe, as in <see cref="InsertMessage(long, long, string, string?, string)"/>.
    /// </summary>
    public static SqlStatement LastSeqs(IReadOnlyList<long> roomIds)
    {
        var rooms = new System.Text.StringBuilder();
        var parameters = new object?[roomIds.Count];
        for (var i = 0; i < roomIds.Count; i++)
        {
            rooms.Append(i == 0 ? "(?" : ", (?").Append(i + 1).Append(')');
            parameters[i] = roomIds[i];
        }

        return new SqlStatement(
            $"SELECT r.column1 AS room_id, (SELECT COALESCE(MAX(m.seq), 0) FROM messages m WHERE m.room_id = r.column1) AS seq FROM (VALUES {rooms}) AS r",
            parameters);
    }

    public async Task<Message?> GetMessageByClientIdAsync(long userId, string clientId, CancellationToken cancellationToken = default)
    {
        var row = await QuerySingleAsync(
            new SqlStatement($"SELECT {MessageColumns} FROM messages m JOIN users u ON u.id = m.user_id WHERE m.user_id = ?1 AND m.client_id = ?2", userId, clientId),
            cancellationToken);
        return row is null ? null : ReadMessage(row);
    }

    /// <summary>The newest <paramref name="limit"/> messages before <paramref name="beforeSeq"/> (or the newest of all), oldest first.</summary>
    public async Task<MessagePage> ListMessagesBeforeAsync(long roomId, long? beforeSeq, int limit, CancellationToken cancellationToken = default)
    {
        var rows = (await executor.ExecuteAsync(
            new SqlStatement(
                $"SELECT {MessageColumns} FROM messages m JOIN users u ON u.id = m.user_id WHERE m.room_id = ?1 AND m.seq < ?2 ORDER BY m.seq DESC LIMIT ?3",
                roomId, UpTo(beforeSeq), limit + 1L),
            cancellationToken)).Rows;
        var page = rows.Take(limit).Select(ReadMessage).Reverse().ToList();
        return new MessagePage(page, rows.Count > limit);
    }

    /// <summary>The first <paramref name="limit"/> messages after <paramref name="afterSeq"/> (and before <paramref name="beforeSeq"/>), oldest first.</summary>
    public async Task<MessagePage> ListMessagesAfterAsync(long roomId, long afterSeq, long? beforeSeq, int limit, CancellationToken cancellationToken = default)
    {
        var rows = (await executor.ExecuteAsync(
            new SqlStatement(
                $"SELECT {MessageColumns} FROM messages m JOIN users u ON u.id = m.user_id WHERE m.room_id = ?1 AND m.seq > ?2 AND m.seq < ?3 ORDER BY m.seq LIMIT ?4",
                roomId, Math.Min(afterSeq, SqlStatement.MaxSafeInteger), UpTo(beforeSeq), limit + 1L),
            cancellationToken)).Rows;
        return new MessagePage(rows.Take(limit).Select(ReadMessage).ToList(), rows.Count > limit);
    }

    /// <summary>An exclusive upper bound on seq that every database carries exactly (D1: JavaScript numbers).</summary>
    private static long UpTo(long? beforeSeq) => Math.Min(beforeSeq ?? SqlStatement.MaxSafeInteger, SqlStatement.MaxSafeInteger);

    private static Message ReadMessage(SqlRow row) =>
        new(
            row.GetInt64("id"),
            row.GetInt64("room_id"),
            row.GetInt64("seq"),
            row.GetString("content"),
            new MessageAuthor(row.GetInt64("user_id"), row.GetString("username")),
            DbTime.Parse(row.GetString("inserted_at")),
            row.GetNullableString("client_id"));
}

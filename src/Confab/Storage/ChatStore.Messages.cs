using Confab.Messages;

namespace Confab.Storage;

public sealed partial class ChatStore
{
    /// <summary>A message in its current state, with the preview of the message it replies to (no reactions: see <see cref="ReactionsOf"/>).</summary>
    private const string MessageSelect =
        """
        SELECT m.id, m.room_id, m.seq, m.content, m.client_id, m.inserted_at, m.user_id, u.username, m.edited_at, m.deleted_at, m.mentions,
               r.id AS reply_id, r.seq AS reply_seq, r.user_id AS reply_user_id, ru.username AS reply_username,
               CASE WHEN r.deleted_at IS NULL THEN substr(r.content, 1, 100) ELSE '' END AS reply_excerpt
        FROM messages m JOIN users u ON u.id = m.user_id
        LEFT JOIN messages r ON r.id = m.reply_to_id LEFT JOIN users ru ON ru.id = r.user_id
        """;

    /// <summary>A room's next seq: one more than the newest of its messages and its other events (each one index probe).</summary>
    private const string NextSeq =
        "max((SELECT COALESCE(MAX(seq), 0) FROM messages WHERE room_id = ?1), (SELECT COALESCE(MAX(seq), 0) FROM room_events WHERE room_id = ?1)) + 1";

    /// <summary>
    /// Inserts one message with the room's next <c>seq</c>, computed inside the transaction that commits it.
    /// With a <c>client_id</c> the sender already used, nothing is inserted (<see cref="SqlResult.Changes"/> 0).
    /// No <c>RETURNING</c>: it cost SQLite as much as the insert itself. The new row's id is
    /// <see cref="SqlResult.LastRowId"/>; its seq is read by <see cref="RoomChangeBatch"/>. Seven parameters. (PostgreSQL
    /// inserts a group commit's posts together: <see cref="InsertMessages"/>.)
    /// </summary>
    public static SqlStatement InsertMessage(
        long roomId, long userId, string content, string? clientId, string insertedAt, long? replyToId = null, string? mentions = null) =>
        new(
            $"""
            INSERT INTO messages (room_id, user_id, seq, content, client_id, inserted_at, reply_to_id, mentions)
            VALUES (?1, ?2, {NextSeq}, ?3, ?4, ?5, ?6, ?7)
            ON CONFLICT (user_id, client_id) WHERE client_id IS NOT NULL DO NOTHING
            """,
            roomId, userId, content, clientId, insertedAt, replyToId, mentions);

    /// <summary>
    /// PostgreSQL only: a run of consecutive posts as one statement (<see cref="RoomChangeBatch"/>), their rows as one JSON
    /// parameter. Posts whose client_id was stored before are left out; the rest take their rooms' next seqs in the order
    /// given, and their mention rows are inserted with them. Answers the rows stored: <c>id, room_id, seq, user_id,
    /// client_id</c>. The rooms' rows must be locked (<see cref="LockRooms"/>), and a client_id must not repeat in a run.
    /// </summary>
    public static SqlStatement InsertMessages(IReadOnlyList<PostMessage> posts, string insertedAt)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(posts.Count * 128);
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            for (var i = 0; i < posts.Count; i++)
            {
                var post = posts[i];
                writer.WriteStartObject();
                writer.WriteNumber("ord", i);
                writer.WriteNumber("room_id", post.Room.Id);
                writer.WriteNumber("user_id", post.Actor.Id);
                writer.WriteString("content", post.Content);
                writer.WriteString("client_id", post.ClientId);
                if (post.ReplyTo is { } reply)
                {
                    writer.WriteNumber("reply_to_id", reply.Id);
                }

                if (post.Mentions.Count > 0)
                {
                    writer.WriteString("mentions", Messages.Mentions.Format(post.Mentions));
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        return new SqlStatement(
            $"""
            WITH given AS (
                SELECT * FROM json_to_recordset(?1::json)
                    AS v (ord int, room_id bigint, user_id bigint, content text, client_id text, reply_to_id bigint, mentions text)),
            fresh AS (
                SELECT g.*, row_number() OVER (PARTITION BY g.room_id ORDER BY g.ord) AS k FROM given g
                WHERE g.client_id IS NULL OR NOT EXISTS (SELECT 1 FROM messages m WHERE m.user_id = g.user_id AND m.client_id = g.client_id)),
            last AS (
                SELECT r.room_id, max((SELECT COALESCE(MAX(seq), 0) FROM messages WHERE room_id = r.room_id),
                                      (SELECT COALESCE(MAX(seq), 0) FROM room_events WHERE room_id = r.room_id)) AS seq
                FROM (SELECT DISTINCT room_id FROM fresh) AS r),
            inserted AS (
                INSERT INTO messages (room_id, user_id, seq, content, client_id, inserted_at, reply_to_id, mentions)
                SELECT f.room_id, f.user_id, l.seq + f.k, f.content, f.client_id, ?2, f.reply_to_id, f.mentions
                FROM fresh f JOIN last l ON l.room_id = f.room_id ORDER BY f.ord
                RETURNING id, room_id, seq, user_id, client_id, mentions),
            mentioned AS (
                INSERT INTO message_mentions (user_id, room_id, seq, message_id)
                SELECT j.value, i.room_id, i.seq, i.id FROM inserted i, json_each(i.mentions) AS j WHERE i.mentions IS NOT NULL)
            SELECT id, room_id, seq, user_id, client_id FROM inserted
            """,
            System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan),
            insertedAt);
    }

    /// <summary>
    /// The mention rows of the message just inserted (<paramref name="mentions"/>: a JSON array of user ids): it is the
    /// room's newest, having taken the room's next seq, by its author with its client_id. When the insert stored
    /// nothing (a repeated client_id), that newest message is the original or another one: the original already has
    /// these rows, and another does not match. No <c>changes()</c>: on PostgreSQL it would need a trigger on every post.
    /// </summary>
    public static SqlStatement InsertMentions(long roomId, long userId, string? clientId, string mentions) =>
        new(
            """
            INSERT INTO message_mentions (user_id, room_id, seq, message_id)
            SELECT j.value, ?1, m.seq, m.id FROM json_each(?4) AS j
            JOIN messages m ON m.room_id = ?1 AND m.seq = (SELECT MAX(seq) FROM messages WHERE room_id = ?1)
            WHERE m.user_id = ?2 AND COALESCE(m.client_id, '') = COALESCE(?3, '')
            ON CONFLICT DO NOTHING
            """,
            roomId, userId, clientId, mentions);

    /// <inheritdoc cref="InsertMessage(long, long, string, string?, string, long?, string?)"/>
    public static SqlStatement InsertMessage(long roomId, long userId, string content, string? clientId, DateTimeOffset now) =>
        InsertMessage(roomId, userId, content, clientId, DbTime.ToText(now));

    /// <summary>
    /// The event row of an edit, delete or reaction, with the room's next seq, only when the statement before it changed
    /// one row (<c>changes()</c>): a change that no longer applies leaves no event and takes no seq.
    /// </summary>
    public static SqlStatement InsertEvent(long roomId, string @event, long messageId, long userId, string? emoji, string insertedAt) =>
        new(
            $"""
            INSERT INTO room_events (room_id, seq, event, message_id, user_id, emoji, inserted_at)
            SELECT ?1, {NextSeq}, ?2, ?3, ?4, ?5, ?6 WHERE changes() = 1
            """,
            roomId, @event, messageId, userId, emoji, insertedAt);

    /// <summary>An edit of the author's own message, while it is not deleted.</summary>
    public static SqlStatement UpdateContent(long messageId, long roomId, long userId, string content, string editedAt) =>
        new(
            "UPDATE messages SET content = ?4, edited_at = ?5 WHERE id = ?1 AND room_id = ?2 AND user_id = ?3 AND deleted_at IS NULL",
            messageId, roomId, userId, content, editedAt);

    /// <summary>
    /// A delete of the author's own message (of anyone's, with <paramref name="userId"/> null: a moderator's): the text is
    /// overwritten (the file zeroes freed space: secure_delete).
    /// </summary>
    public static SqlStatement Tombstone(long messageId, long roomId, long? userId, string deletedAt) =>
        new(
            "UPDATE messages SET content = '', deleted_at = ?4 WHERE id = ?1 AND room_id = ?2 AND user_id = COALESCE(?3, user_id) AND deleted_at IS NULL",
            messageId, roomId, userId, deletedAt);

    /// <summary>A deleted message keeps no reactions.</summary>
    public static SqlStatement DeleteReactionsOfDeleted(long messageId) =>
        new("DELETE FROM reactions WHERE message_id = ?1 AND (SELECT deleted_at FROM messages WHERE id = ?1) IS NOT NULL", messageId);

    /// <summary>A reaction, unless it is there already, the message is gone or deleted, or it would be the message's 21st distinct emoji.</summary>
    public static SqlStatement InsertReaction(long messageId, long roomId, string emoji, long userId, string insertedAt) =>
        new(
            """
            INSERT INTO reactions (message_id, emoji, user_id, inserted_at)
            SELECT ?1, ?3, ?4, ?5
            WHERE EXISTS (SELECT 1 FROM messages WHERE id = ?1 AND room_id = ?2 AND deleted_at IS NULL)
              AND (EXISTS (SELECT 1 FROM reactions WHERE message_id = ?1 AND emoji = ?3)
                   OR (SELECT COUNT(DISTINCT emoji) FROM reactions WHERE message_id = ?1) < ?6)
            ON CONFLICT DO NOTHING
            """,
            messageId, roomId, emoji, userId, insertedAt, ChangeReaction.MaxDistinctEmoji);

    public static SqlStatement DeleteReaction(long messageId, long roomId, string emoji, long userId) =>
        new(
            """
            DELETE FROM reactions WHERE message_id = ?1 AND emoji = ?3 AND user_id = ?4
              AND EXISTS (SELECT 1 FROM messages WHERE id = ?1 AND room_id = ?2 AND deleted_at IS NULL)
            """,
            messageId, roomId, emoji, userId);

    /// <summary>
    /// The last <c>seq</c> of each room (0 for none yet), one row per room: <c>room_id, seq</c>. At most
    /// <see cref="SqlStatement.MaxParameters"/> rooms.
    /// </summary>
    public static SqlStatement LastSeqs(IReadOnlyList<long> roomIds) =>
        new(
            $"""
            SELECT r.column1 AS room_id,
                   max((SELECT COALESCE(MAX(m.seq), 0) FROM messages m WHERE m.room_id = r.column1),
                       (SELECT COALESCE(MAX(e.seq), 0) FROM room_events e WHERE e.room_id = r.column1)) AS seq
            FROM (VALUES {Placeholders(roomIds.Count, "(?{0})")}) AS r
            """,
            [.. roomIds.Select(id => (object?)id)]);

    /// <summary>
    /// Locks the rows of rooms (at most <see cref="SqlStatement.MaxParameters"/>, in id order) until the transaction ends:
    /// on PostgreSQL, where another node may commit to the same rooms at once (<see cref="RoomChangeBatch"/>). Not
    /// <c>FOR UPDATE</c>: inserts that reference a room (its key) need not wait.
    /// </summary>
    public static SqlStatement LockRooms(IReadOnlyList<long> roomIds) =>
        new($"SELECT id FROM rooms WHERE id IN ({Placeholders(roomIds.Count, "?{0}")}) ORDER BY id FOR NO KEY UPDATE", [.. roomIds.Select(id => (object?)id)]);

    /// <summary><paramref name="count"/> numbered parameters, each written as <paramref name="format"/> (<c>{0}</c>: its number), comma-separated.</summary>
    private static string Placeholders(int count, string format) =>
        string.Join(", ", Enumerable.Range(1, count).Select(n => string.Format(System.Globalization.CultureInfo.InvariantCulture, format, n)));

    /// <summary>One message by id, in its current state.</summary>
    public static SqlStatement SelectMessage(long messageId) => new($"{MessageSelect} WHERE m.id = ?1", messageId);

    /// <summary>The reactions of one message, for <see cref="ReadMessages"/>.</summary>
    public static SqlStatement SelectReactions(long messageId) => ReactionsOf("?1", messageId);

    /// <summary>The reactions of the messages a subquery selects (its ids), oldest first: what <see cref="ReadMessages"/> groups.</summary>
    private static SqlStatement ReactionsOf(string idsQuery, params object?[] parameters) =>
        new($"SELECT message_id, emoji, user_id FROM reactions WHERE message_id IN ({idsQuery}) ORDER BY message_id, id", parameters);

    public async Task<Message?> GetMessageAsync(long messageId, CancellationToken cancellationToken = default)
    {
        var results = await executor.ReadAsync([SelectMessage(messageId), SelectReactions(messageId)], cancellationToken);
        return ReadMessages(results[0].Rows, results[1].Rows).SingleOrDefault();
    }

    public async Task<Message?> GetMessageByClientIdAsync(long userId, string clientId, CancellationToken cancellationToken = default)
    {
        const string ids = "SELECT id FROM messages WHERE user_id = ?1 AND client_id = ?2";
        var results = await executor.ReadAsync(
            [new SqlStatement($"{MessageSelect} WHERE m.user_id = ?1 AND m.client_id = ?2", userId, clientId), ReactionsOf(ids, userId, clientId)],
            cancellationToken);
        return ReadMessages(results[0].Rows, results[1].Rows).SingleOrDefault();
    }

    /// <summary>The newest <paramref name="limit"/> messages before <paramref name="beforeSeq"/> (or the newest of all), oldest first.</summary>
    public async Task<MessagePage> ListMessagesBeforeAsync(long roomId, long? beforeSeq, int limit, CancellationToken cancellationToken = default)
    {
        var results = await executor.ReadAsync(MessagesBefore(roomId, beforeSeq, limit), cancellationToken);
        return PageBefore(results, 0, limit);
    }

    /// <summary>The first <paramref name="limit"/> messages after <paramref name="afterSeq"/> (and before <paramref name="beforeSeq"/>), oldest first.</summary>
    public async Task<MessagePage> ListMessagesAfterAsync(long roomId, long afterSeq, long? beforeSeq, int limit, CancellationToken cancellationToken = default)
    {
        var results = await executor.ReadAsync(MessagesAfter(roomId, afterSeq, beforeSeq, limit), cancellationToken);
        return PageAfter(results, 0, limit);
    }

    private static SqlStatement[] MessagesBefore(long roomId, long? beforeSeq, int limit)
    {
        return
        [
            new($"{MessageSelect} WHERE m.room_id = ?1 AND m.seq < ?2 ORDER BY m.seq DESC LIMIT ?3", roomId, UpTo(beforeSeq), limit + 1L),
            ReactionsOf("SELECT id FROM messages WHERE room_id = ?1 AND seq < ?2 ORDER BY seq DESC LIMIT ?3", roomId, UpTo(beforeSeq), limit + 1L),
        ];
    }

    private static SqlStatement[] MessagesAfter(long roomId, long afterSeq, long? beforeSeq, int limit)
    {
        var after = Math.Min(afterSeq, SqlStatement.MaxSafeInteger);
        return
        [
            new($"{MessageSelect} WHERE m.room_id = ?1 AND m.seq > ?2 AND m.seq < ?3 ORDER BY m.seq LIMIT ?4", roomId, after, UpTo(beforeSeq), limit + 1L),
            ReactionsOf("SELECT id FROM messages WHERE room_id = ?1 AND seq > ?2 AND seq < ?3 ORDER BY seq LIMIT ?4", roomId, after, UpTo(beforeSeq), limit + 1L),
        ];
    }

    private static MessagePage PageBefore(IReadOnlyList<SqlResult> results, int at, int limit)
    {
        var rows = results[at].Rows;
        var page = ReadMessages(rows, results[at + 1].Rows).Take(limit).Reverse().ToList();
        return new MessagePage(page, rows.Count > limit);
    }

    private static MessagePage PageAfter(IReadOnlyList<SqlResult> results, int at, int limit)
    {
        var rows = results[at].Rows;
        return new MessagePage(ReadMessages(rows, results[at + 1].Rows).Take(limit).ToList(), rows.Count > limit);
    }

    /// <summary>An exclusive upper bound on seq that every database carries exactly (D1: JavaScript numbers).</summary>
    private static long UpTo(long? beforeSeq) => Math.Min(beforeSeq ?? SqlStatement.MaxSafeInteger, SqlStatement.MaxSafeInteger);

    /// <summary>Messages from <see cref="MessageSelect"/> rows, in row order, each with its reactions from <see cref="ReactionsOf"/> rows.</summary>
    internal static List<Message> ReadMessages(IReadOnlyList<SqlRow> rows, IReadOnlyList<SqlRow> reactionRows)
    {
        var reactions = new Dictionary<long, List<(string Emoji, List<long> Users)>>();
        foreach (var row in reactionRows)
        {
            var id = row.GetInt64("message_id");
            var emoji = row.GetString("emoji");
            if (!reactions.TryGetValue(id, out var list))
            {
                reactions[id] = list = [];
            }

            var index = list.FindIndex(r => r.Emoji == emoji);
            if (index < 0)
            {
                list.Add((emoji, [row.GetInt64("user_id")]));
            }
            else
            {
                list[index].Users.Add(row.GetInt64("user_id"));
            }
        }

        var messages = new List<Message>(rows.Count);
        foreach (var row in rows)
        {
            var id = row.GetInt64("id");
            var editedAt = row.GetNullableString("edited_at");
            messages.Add(new Message(
                id,
                row.GetInt64("room_id"),
                row.GetInt64("seq"),
                row.GetString("content"),
                new MessageAuthor(row.GetInt64("user_id"), row.GetString("username")),
                DbTime.Parse(row.GetString("inserted_at")),
                row.GetNullableString("client_id"))
            {
                EditedAt = editedAt is null ? null : DbTime.Parse(editedAt),
                Deleted = row.GetNullableString("deleted_at") is not null,
                Mentions = row.GetNullableString("mentions") is { } mentioned ? Messages.Mentions.Parse(mentioned) : [],
                Reactions = reactions.TryGetValue(id, out var found)
                    ? [.. found.Select(r => new ReactionSummary(r.Emoji, r.Users.Count, r.Users))]
                    : [],
                ReplyTo = row["reply_id"] is null
                    ? null
                    : new ReplyPreview(
                        row.GetInt64("reply_id"),
                        row.GetInt64("reply_seq"),
                        new MessageAuthor(row.GetInt64("reply_user_id"), row.GetString("reply_username")),
                        row.GetString("reply_excerpt")),
            });
        }

        return messages;
    }
}

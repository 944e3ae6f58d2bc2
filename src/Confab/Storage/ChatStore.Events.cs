using Confab.Messages;

namespace Confab.Storage;

public sealed partial class ChatStore
{
    /// <summary>
    /// Commits room changes in one transaction (the group commit of <see cref="MessageLog"/>): what each became, in
    /// order, or null where nothing changed (<see cref="RoomChangeBatch"/>). Every event's time is <paramref name="now"/>.
    /// Blocks the calling thread until the transaction is over (<see cref="ISqlExecutor.Batch"/>): the writer's.
    /// </summary>
    public CommittedChange?[] Commit(IReadOnlyList<RoomChange> changes, DateTimeOffset now)
    {
        var text = DbTime.ToText(now);
        var batch = new RoomChangeBatch(text, changes.Count, executor.Dialect);
        foreach (var change in changes)
        {
            batch.Add(change);
        }

        return batch.Read(executor.Batch(batch.Statements()), DbTime.Parse(text));
    }

    /// <summary>
    /// What a join replies with, read at one instant (one read transaction): the room's newest event seq, and either the
    /// newest <paramref name="history"/> messages or, after <paramref name="lastSeq"/>, the messages and every event
    /// (up to <paramref name="backlog"/>).
    /// </summary>
    public async Task<RoomSnapshot> ReadRoomAsync(long roomId, long? lastSeq, int history, int backlog, CancellationToken cancellationToken = default)
    {
        List<SqlStatement> statements = [LastSeq(roomId)];
        statements.AddRange(lastSeq is { } after ? EventsAfter(roomId, after, backlog) : MessagesBefore(roomId, null, history));
        var results = await executor.ReadAsync(statements, cancellationToken);
        var newest = results[0].Rows[0].GetInt64("seq");
        return lastSeq is null
            ? new RoomSnapshot(PageBefore(results, 1, history), newest, null)
            : new RoomSnapshot(PageAfter(results, 1, backlog), newest, PageOfEvents(results, 1, backlog));
    }

    /// <summary>The newest seq of each room (at most <see cref="SqlStatement.MaxParameters"/>), 0 for a room with no event.</summary>
    public async Task<IReadOnlyList<(long RoomId, long LastSeq)>> ReadLastSeqsAsync(IReadOnlyList<long> roomIds, CancellationToken cancellationToken = default) =>
        roomIds.Count == 0
            ? []
            : (await executor.ExecuteAsync(LastSeqs(roomIds), cancellationToken)).Rows.Select(row => (row.GetInt64("room_id"), row.GetInt64("seq"))).ToList();

    /// <summary>Every event of a room after <paramref name="afterSeq"/>, in seq order, up to <paramref name="limit"/>.</summary>
    public async Task<RoomEventPage> ListEventsAfterAsync(long roomId, long afterSeq, int limit, CancellationToken cancellationToken = default) =>
        PageOfEvents(await executor.ReadAsync(EventsAfter(roomId, afterSeq, limit), cancellationToken), 0, limit);

    private static SqlStatement LastSeq(long roomId) =>
        new("SELECT max((SELECT COALESCE(MAX(seq), 0) FROM messages WHERE room_id = ?1), (SELECT COALESCE(MAX(seq), 0) FROM room_events WHERE room_id = ?1)) AS seq", roomId);

    // The messages posted after the seq (each a new_message, in its current state) and their reactions; the other events
    // after it; and the current state of the messages those edited, with their reactions.
    private static SqlStatement[] EventsAfter(long roomId, long afterSeq, int limit)
    {
        var after = Math.Min(afterSeq, SqlStatement.MaxSafeInteger);
        const string edited = "SELECT message_id FROM room_events WHERE room_id = ?1 AND seq > ?2 AND event = 'message_updated' ORDER BY seq LIMIT ?3";
        return
        [
            .. MessagesAfter(roomId, afterSeq, null, limit),
            new(
                """
                SELECT e.seq, e.event, e.message_id, e.user_id, u.username, e.emoji, e.subject_id, s.username AS subject_username, e.detail
                FROM room_events e JOIN users u ON u.id = e.user_id LEFT JOIN users s ON s.id = e.subject_id
                WHERE e.room_id = ?1 AND e.seq > ?2 ORDER BY e.seq LIMIT ?3
                """,
                roomId, after, limit + 1L),
            new($"{MessageSelect} WHERE m.id IN ({edited})", roomId, after, limit + 1L),
            ReactionsOf(edited, roomId, after, limit + 1L),
        ];
    }

    // Each source holds at most limit + 1 events after the seq, so the first limit + 1 of both merged are the room's.
    private static RoomEventPage PageOfEvents(IReadOnlyList<SqlResult> results, int at, int limit)
    {
        var entries = new List<RoomEventEntry>();
        foreach (var message in ReadMessages(results[at].Rows, results[at + 1].Rows))
        {
            entries.Add(new RoomEventEntry(RoomEventNames.NewMessage, message));
        }

        var edited = ReadMessages(results[at + 3].Rows, results[at + 4].Rows).ToDictionary(m => m.Id);
        foreach (var row in results[at + 2].Rows)
        {
            var seq = row.GetInt64("seq");
            var name = row.GetString("event");
            IRoomEvent payload = name switch
            {
                RoomEventNames.MessageUpdated => new MessageUpdated(seq, edited[row.GetInt64("message_id")]),
                RoomEventNames.MessageDeleted => new MessageDeleted(seq, row.GetInt64("message_id")),
                RoomEventNames.ReactionAdded or RoomEventNames.ReactionRemoved => new ReactionChanged(
                    seq, row.GetInt64("message_id"), row.GetString("emoji"), new MessageAuthor(row.GetInt64("user_id"), row.GetString("username")))
                {
                    Added = name == RoomEventNames.ReactionAdded,
                },
                RoomEventNames.RoomUpdated => new RoomUpdated(seq, int.Parse(row.GetString("detail"), System.Globalization.CultureInfo.InvariantCulture)),
                _ => new MemberChanged(seq, new MessageAuthor(row.GetInt64("subject_id"), row.GetString("subject_username")), row.GetNullableString("detail")),
            };
            entries.Add(new RoomEventEntry(name, payload));
        }

        entries.Sort(static (a, b) => a.Payload.Seq.CompareTo(b.Payload.Seq));
        return entries.Count > limit ? new RoomEventPage(entries[..limit], HasMore: true) : new RoomEventPage(entries, HasMore: false);
    }
}

/// <summary>A room as a join sees it: the messages to show, the newest event seq, and (resuming) the events since.</summary>
public sealed record RoomSnapshot(MessagePage Messages, long LastSeq, RoomEventPage? Events);

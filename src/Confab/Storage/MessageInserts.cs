namespace Confab.Storage;

/// <summary>
/// The statements of one group commit of messages, for one <see cref="ISqlExecutor.BatchAsync"/> (one transaction),
/// and what each message became: its id and room <c>seq</c>, or nothing for a repeated <c>client_id</c>.
/// </summary>
/// <remarks>
/// <para>The batch reads each room's last <c>seq</c> first (<see cref="ChatStore.LastSeqs"/>), then inserts every
/// message with <see cref="ChatStore.InsertMessage(long, long, string, string?, string)"/>, which gives it its room's
/// MAX(seq) + 1. All in one transaction, so no other writer comes between: the n-th message stored in a room in this
/// batch has that room's last seq + n. Reading that here, instead of a <c>RETURNING</c> per insert, halves SQLite's
/// work per message. A failed batch rolls back whole, its reads included, so seq stays gap-free.</para>
/// <para>Statements: one per message, plus one per <see cref="SqlStatement.MaxParameters"/> distinct rooms.</para>
/// </remarks>
public sealed class MessageInserts
{
    private readonly List<SqlStatement> inserts;
    private readonly List<long> roomOfInsert;
    private readonly List<long> rooms = [];
    private readonly HashSet<long> seen = [];

    public MessageInserts(int capacity = 0)
    {
        inserts = new List<SqlStatement>(capacity);
        roomOfInsert = new List<long>(capacity);
    }

    public int Count => inserts.Count;

    /// <summary>The statements <see cref="Statements"/> adds to <paramref name="messages"/> messages in <paramref name="rooms"/> rooms.</summary>
    public static int StatementsFor(int messages, int rooms) => messages + ((rooms + SqlStatement.MaxParameters - 1) / SqlStatement.MaxParameters);

    public void Add(long roomId, long userId, string content, string? clientId, string insertedAt)
    {
        inserts.Add(ChatStore.InsertMessage(roomId, userId, content, clientId, insertedAt));
        roomOfInsert.Add(roomId);
        if (seen.Add(roomId))
        {
            rooms.Add(roomId);
        }
    }

    /// <summary>The batch: the rooms' last seqs, then the inserts in the order added.</summary>
    public IReadOnlyList<SqlStatement> Statements()
    {
        var statements = new List<SqlStatement>(StatementsFor(inserts.Count, rooms.Count));
        for (var first = 0; first < rooms.Count; first += SqlStatement.MaxParameters)
        {
            statements.Add(ChatStore.LastSeqs(rooms.GetRange(first, Math.Min(SqlStatement.MaxParameters, rooms.Count - first))));
        }

        statements.AddRange(inserts);
        return statements;
    }

    /// <summary>
    /// What each message, in the order added, became: its id and seq, or null when nothing was stored (a repeated
    /// <c>client_id</c>). <paramref name="results"/> are the batch's, one per statement of <see cref="Statements"/>.
    /// </summary>
    public StoredMessage?[] Read(IReadOnlyList<SqlResult> results)
    {
        var leading = results.Count - inserts.Count;
        if (leading != StatementsFor(inserts.Count, rooms.Count) - inserts.Count)
        {
            throw Inconsistent($"{results.Count} results for {StatementsFor(inserts.Count, rooms.Count)} statements");
        }

        var lastSeq = new Dictionary<long, long>(rooms.Count);
        for (var i = 0; i < leading; i++)
        {
            foreach (var row in results[i].Rows)
            {
                lastSeq[row.GetInt64("room_id")] = row.GetInt64("seq");
            }
        }

        var stored = new StoredMessage?[inserts.Count];
        var lastId = 0L;
        for (var i = 0; i < inserts.Count; i++)
        {
            var result = results[leading + i];
            if (result.Changes == 0)
            {
                continue;
            }

            // Ids of one transaction only grow; anything else means the meta is not what this reading assumes.
            if (result.Changes != 1 || result.LastRowId <= lastId || !lastSeq.TryGetValue(roomOfInsert[i], out var seq))
            {
                throw Inconsistent($"insert {i} reported {result.Changes} change(s) and row id {result.LastRowId} after {lastId}");
            }

            lastId = result.LastRowId;
            lastSeq[roomOfInsert[i]] = seq + 1;
            stored[i] = new StoredMessage(lastId, seq + 1);
        }

        return stored;
    }

    private static StorageException Inconsistent(string what) =>
        new($"The database's answer to a group commit of messages is inconsistent: {what}.", StorageErrorKind.Unavailable);
}

/// <summary>A message just inserted: its id and its room's seq.</summary>
public readonly record struct StoredMessage(long Id, long Seq);

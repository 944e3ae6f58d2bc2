using Confab.Messages;

namespace Confab.Storage;

/// <summary>
/// The statements of one group commit of room changes, for one <see cref="ISqlExecutor.BatchAsync"/> (one transaction),
/// and what each change became: the event it committed with its room's next <c>seq</c>, or nothing (a repeated
/// <c>client_id</c>, a message no longer there to change, a reaction already there).
/// </summary>
/// <remarks>
/// <para>The batch reads each room's last <c>seq</c> first (<see cref="ChatStore.LastSeqs"/>), then runs every change's
/// statements. A post's insert, and an edit's, delete's or reaction's event row, each take their room's MAX(seq) + 1; all
/// in one transaction, so no other writer comes between, and the n-th event committed in a room in this batch has that
/// room's last seq + n. Reading that here, instead of a <c>RETURNING</c> per insert, halves SQLite's work per message.
/// A failed batch rolls back whole, its reads included, so seq stays gap-free.</para>
/// <para>On PostgreSQL, where writers (several nodes) run at once, the batch first locks its rooms' rows, in id order
/// (so two batches never wait on each other in a circle), and reads the last seqs in the next statement, which sees
/// whatever another writer committed before it let go: SQLite's single writer needs no lock. And there, consecutive posts
/// are one statement (<see cref="ChatStore.InsertMessages"/>): a statement costs PostgreSQL far more than a row, where
/// SQLite's prepared statements cost it little. A repeated client_id within the batch is then left out here.</para>
/// <para>Statements: <see cref="StatementsOf"/> per change (on PostgreSQL, one per run of posts), plus one per
/// <see cref="SqlStatement.MaxParameters"/> distinct rooms (two on PostgreSQL).</para>
/// </remarks>
public sealed class RoomChangeBatch
{
    // Each change's statements, in order; on PostgreSQL a run of consecutive posts is one (a Run).
    private readonly List<Part> parts;
    private readonly List<RoomChange> changes;
    // Per change: the index of its first part; -1 for a post left out (its client_id repeats one earlier in the batch).
    private readonly List<int> firstPart;
    private readonly HashSet<(long User, string ClientId)> clientIds = [];
    private readonly List<long> rooms = [];
    private readonly HashSet<long> seen = [];
    private readonly string now;
    private readonly SqlDialect dialect;

    public RoomChangeBatch(string now, int capacity = 0, SqlDialect dialect = SqlDialect.Sqlite)
    {
        this.now = now;
        this.dialect = dialect;
        parts = new List<Part>(capacity);
        changes = new List<RoomChange>(capacity);
        firstPart = new List<int>(capacity);
    }

    /// <summary>One statement of the batch, or (PostgreSQL) a run of consecutive posts, by their indexes in the batch.</summary>
    private sealed record Part(SqlStatement? Statement, List<int>? Posts);

    private void AddStatement(SqlStatement statement) => parts.Add(new Part(statement, null));

    public int Count => changes.Count;

    /// <summary>
    /// The statements a change adds to a batch: 1 for a post, 2 for a reaction or a member added or changed, 3 for a
    /// delete or a ban, 4 for an edit.
    /// </summary>
    public static int StatementsOf(RoomChange change) => change switch
    {
        PostMessage { Mentions.Count: 0 } => 1,
        PostMessage or ChangeReaction or AddMember or SetMemberRole or RemoveMember { Ban: false } or SetSlowMode => 2,
        DeleteMessage or RemoveMember => 3,
        _ => 4,
    };

    /// <summary>The statements before the changes': the rooms' last seqs (on PostgreSQL, each after a lock of the rooms).</summary>
    private int Leading => ((rooms.Count + SqlStatement.MaxParameters - 1) / SqlStatement.MaxParameters) * (dialect == SqlDialect.Postgres ? 2 : 1);

    public void Add(RoomChange change)
    {
        var room = change.Room.Id;
        var actor = change.Actor.Id;
        firstPart.Add(parts.Count);
        switch (change)
        {
            case PostMessage post when dialect == SqlDialect.Postgres:
                if (post.ClientId is { } clientId && !clientIds.Add((actor, clientId)))
                {
                    firstPart[^1] = -1; // the same send twice in one batch: the first one stores it
                }
                else if (parts.Count > 0 && parts[^1].Posts is { } run)
                {
                    firstPart[^1] = parts.Count - 1;
                    run.Add(changes.Count);
                }
                else
                {
                    parts.Add(new Part(null, [changes.Count]));
                }

                break;
            case PostMessage post:
                var mentions = post.Mentions.Count > 0 ? Messages.Mentions.Format(post.Mentions) : null;
                AddStatement(ChatStore.InsertMessage(room, actor, post.Content, post.ClientId, now, post.ReplyTo?.Id, mentions));
                if (mentions is not null)
                {
                    AddStatement(ChatStore.InsertMentions(room, actor, post.ClientId, mentions));
                }

                break;
            case EditMessage edit:
                AddStatement(ChatStore.UpdateContent(edit.MessageId, room, actor, edit.Content, now));
                AddStatement(ChatStore.InsertEvent(room, RoomEventNames.MessageUpdated, edit.MessageId, actor, null, now));
                AddStatement(ChatStore.SelectMessage(edit.MessageId));
                AddStatement(ChatStore.SelectReactions(edit.MessageId));
                break;
            case DeleteMessage delete:
                AddStatement(ChatStore.Tombstone(delete.MessageId, room, delete.AnyAuthor ? null : actor, now));
                AddStatement(ChatStore.InsertEvent(room, RoomEventNames.MessageDeleted, delete.MessageId, actor, null, now));
                AddStatement(ChatStore.DeleteReactionsOfDeleted(delete.MessageId));
                break;
            case ChangeReaction reaction:
                AddStatement(reaction.Add
                    ? ChatStore.InsertReaction(reaction.MessageId, room, reaction.Emoji, actor, now)
                    : ChatStore.DeleteReaction(reaction.MessageId, room, reaction.Emoji, actor));
                AddStatement(ChatStore.InsertEvent(
                    room, reaction.Add ? RoomEventNames.ReactionAdded : RoomEventNames.ReactionRemoved, reaction.MessageId, actor, reaction.Emoji, now));
                break;
            case AddMember add:
                AddStatement(ChatStore.InsertMember(room, add.Member.Id, add.Role, now));
                AddStatement(ChatStore.InsertRoomEvent(room, RoomEventNames.MemberAdded, actor, add.Member.Id, add.Role, now));
                break;
            case SetMemberRole set:
                AddStatement(ChatStore.UpdateRole(room, set.Member.Id, set.Role));
                AddStatement(ChatStore.InsertRoomEvent(room, RoomEventNames.MemberUpdated, actor, set.Member.Id, set.Role, now));
                break;
            case RemoveMember remove:
                AddStatement(ChatStore.DeleteMember(room, remove.Member.Id));
                AddStatement(ChatStore.InsertRoomEvent(room, RoomEventNames.MemberRemoved, actor, remove.Member.Id, null, now));
                if (remove.Ban)
                {
                    AddStatement(ChatStore.InsertBan(room, remove.Member.Id, actor, now));
                }

                break;
            case SetSlowMode slow:
                AddStatement(ChatStore.UpdateSlowMode(room, slow.Seconds));
                AddStatement(ChatStore.InsertRoomEvent(
                    room, RoomEventNames.RoomUpdated, actor, null, slow.Seconds.ToString(System.Globalization.CultureInfo.InvariantCulture), now));
                break;
            default:
                throw new ArgumentException($"Unknown room change {change.GetType().Name}.", nameof(change));
        }

        changes.Add(change);
        if (seen.Add(room))
        {
            rooms.Add(room);
        }
    }

    /// <summary>The batch: the rooms' last seqs, then each change's statements in the order added.</summary>
    public IReadOnlyList<SqlStatement> Statements()
    {
        var all = new List<SqlStatement>(Leading + parts.Count);
        if (dialect == SqlDialect.Postgres)
        {
            rooms.Sort();
        }

        for (var first = 0; first < rooms.Count; first += SqlStatement.MaxParameters)
        {
            var some = rooms.GetRange(first, Math.Min(SqlStatement.MaxParameters, rooms.Count - first));
            if (dialect == SqlDialect.Postgres)
            {
                all.Add(ChatStore.LockRooms(some));
            }

            all.Add(ChatStore.LastSeqs(some));
        }

        foreach (var part in parts)
        {
            all.Add(part.Statement ?? ChatStore.InsertMessages(part.Posts!.Select(i => (PostMessage)changes[i]).ToList(), now));
        }

        return all;
    }

    /// <summary>
    /// What each change, in the order added, became: the committed event (name and payload, with its seq), or null when
    /// nothing changed. <paramref name="results"/> are the batch's, one per statement of <see cref="Statements"/>;
    /// <paramref name="insertedAt"/> is <c>now</c> as stored.
    /// </summary>
    public CommittedChange?[] Read(IReadOnlyList<SqlResult> results, DateTime insertedAt)
    {
        var leading = Leading;
        if (results.Count != leading + parts.Count)
        {
            throw Inconsistent($"{results.Count} results for {leading + parts.Count} statements");
        }

        var lastSeq = new Dictionary<long, long>(rooms.Count);
        for (var i = 0; i < leading; i++)
        {
            if (dialect == SqlDialect.Postgres && i % 2 == 0)
            {
                continue; // the lock's rows
            }

            foreach (var row in results[i].Rows)
            {
                lastSeq[row.GetInt64("room_id")] = row.GetInt64("seq");
            }
        }

        var committed = new CommittedChange?[changes.Count];
        var lastId = 0L;
        Dictionary<int, RunResult>? runs = null;
        for (var i = 0; i < changes.Count; i++)
        {
            var change = changes[i];
            if (firstPart[i] < 0)
            {
                continue; // a repeat of an earlier post of this batch: nothing
            }

            var at = leading + firstPart[i];
            if (parts[firstPart[i]].Posts is not null)
            {
                runs ??= [];
                if (!runs.TryGetValue(at, out var run))
                {
                    runs[at] = run = new RunResult(results[at]);
                }

                var post = (PostMessage)change;
                if (run.Take(post) is not { } row)
                {
                    continue; // its client_id was stored before
                }

                if (!lastSeq.TryGetValue(post.Room.Id, out var last) || row.Seq != last + 1)
                {
                    throw Inconsistent($"post {i} took seq {row.Seq} in room {post.Room.Id}, after {last}");
                }

                lastSeq[post.Room.Id] = row.Seq;
                committed[i] = new CommittedChange(RoomEventNames.NewMessage, new Message(
                    row.Id, post.Room.Id, row.Seq, post.Content, post.Actor, insertedAt, post.ClientId) { ReplyTo = post.ReplyTo, Mentions = post.Mentions });
                continue;
            }

            var applied = change is PostMessage ? results[at] : results[at + 1];
            if (applied.Changes != 0)
            {
                if (applied.Changes != 1 || !lastSeq.TryGetValue(change.Room.Id, out var seq))
                {
                    throw Inconsistent($"change {i} reported {applied.Changes} change(s)");
                }

                seq++;
                lastSeq[change.Room.Id] = seq;
                switch (change)
                {
                    case PostMessage post:
                        // Ids of one transaction only grow; anything else means the meta is not what this reading assumes.
                        if (applied.LastRowId <= lastId)
                        {
                            throw Inconsistent($"insert {i} reported row id {applied.LastRowId} after {lastId}");
                        }

                        lastId = applied.LastRowId;
                        committed[i] = new CommittedChange(RoomEventNames.NewMessage, new Message(
                            lastId, post.Room.Id, seq, post.Content, post.Actor, insertedAt, post.ClientId) { ReplyTo = post.ReplyTo, Mentions = post.Mentions });
                        break;
                    case EditMessage:
                        var state = ChatStore.ReadMessages(results[at + 2].Rows, results[at + 3].Rows).Single();
                        committed[i] = new CommittedChange(RoomEventNames.MessageUpdated, new MessageUpdated(seq, state));
                        break;
                    case DeleteMessage delete:
                        committed[i] = new CommittedChange(RoomEventNames.MessageDeleted, new MessageDeleted(seq, delete.MessageId));
                        break;
                    case ChangeReaction reaction:
                        committed[i] = new CommittedChange(
                            reaction.Add ? RoomEventNames.ReactionAdded : RoomEventNames.ReactionRemoved,
                            new ReactionChanged(seq, reaction.MessageId, reaction.Emoji, reaction.Actor) { Added = reaction.Add });
                        break;
                    case AddMember add:
                        committed[i] = new CommittedChange(RoomEventNames.MemberAdded, new MemberChanged(seq, add.Member, add.Role));
                        break;
                    case SetMemberRole set:
                        committed[i] = new CommittedChange(RoomEventNames.MemberUpdated, new MemberChanged(seq, set.Member, set.Role));
                        break;
                    case RemoveMember remove:
                        committed[i] = new CommittedChange(RoomEventNames.MemberRemoved, new MemberChanged(seq, remove.Member, null));
                        break;
                    case SetSlowMode slow:
                        committed[i] = new CommittedChange(RoomEventNames.RoomUpdated, new RoomUpdated(seq, slow.Seconds));
                        break;
                }
            }
        }

        return committed;
    }

    /// <summary>
    /// What a run of posts stored (<see cref="ChatStore.InsertMessages"/>): its rows by room in seq order, which is the order
    /// of the run's posts in each room, less those whose client_id was already stored.
    /// </summary>
    private sealed class RunResult
    {
        private readonly Dictionary<long, Queue<(long Id, long Seq)>> byRoom = [];
        private readonly HashSet<(long User, string ClientId)> stored = [];

        public RunResult(SqlResult result)
        {
            foreach (var row in result.Rows.OrderBy(row => row.GetInt64("seq")))
            {
                var room = row.GetInt64("room_id");
                if (!byRoom.TryGetValue(room, out var queue))
                {
                    byRoom[room] = queue = new Queue<(long, long)>();
                }

                queue.Enqueue((row.GetInt64("id"), row.GetInt64("seq")));
                if (row.GetNullableString("client_id") is { } clientId)
                {
                    stored.Add((row.GetInt64("user_id"), clientId));
                }
            }
        }

        public (long Id, long Seq)? Take(PostMessage post)
        {
            if (post.ClientId is { } clientId && !stored.Contains((post.Actor.Id, clientId)))
            {
                return null;
            }

            return byRoom.TryGetValue(post.Room.Id, out var queue) && queue.TryDequeue(out var row)
                ? row
                : throw Inconsistent($"a run of posts stored fewer rows in room {post.Room.Id} than it was given");
        }
    }

    private static StorageException Inconsistent(string what) =>
        new($"The database's answer to a group commit of room changes is inconsistent: {what}.", StorageErrorKind.Unavailable);
}

/// <summary>A change as committed: the event's name and its payload (with its seq).</summary>
public sealed record CommittedChange(string Event, IRoomEvent Payload);

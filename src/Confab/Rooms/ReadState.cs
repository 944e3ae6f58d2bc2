using System.Collections.Concurrent;
using Confab.Api;
using Confab.Channels;
using Confab.Messages;
using Confab.Realtime;
using Confab.Storage;

namespace Confab.Rooms;

/// <summary>
/// Read markers and unread counts, the server's, so that every device of a user agrees: each member's
/// <see cref="ReadCounts"/> per room, in memory, and the user channel's notices (<c>room_activity</c>, <c>mention</c>,
/// <c>read_marker</c>, <c>room_added</c>, <c>room_removed</c>) as they change.
/// </summary>
/// <remarks>
/// A room's counts are read from the store when first needed (<see cref="ChatStore.ReadCountsAsync"/>: the counts and the
/// room's newest seq at one instant), then kept by applying each committed event in order: a message raises the counts
/// of every other member. Events that commit while a read is on its way are held and applied after it, those newer than
/// what it read only, so nothing is counted twice or missed. A delete (which may lower anyone's counts) and a marker
/// moved read again from the store.
/// </remarks>
public sealed partial class ReadState(
    ChatStore store, Realtime.RoomEventStream stream, IPubSub pubSub, Cluster.ClusterNotices cluster, ILogger<ReadState> logger) : IHostedService
{
    public const string RoomActivityEvent = "room_activity";
    public const string MentionEvent = "mention";
    public const string ReadMarkerEvent = "read_marker";
    public const string RoomAddedEvent = "room_added";
    public const string RoomRemovedEvent = "room_removed";

    private readonly ConcurrentDictionary<long, RoomReads> rooms = new();

    private sealed class RoomReads(Room room)
    {
        public readonly Lock Gate = new();
        public Room Room = room;

        // Null until read from the store.
        public Dictionary<long, Counter>? Counts;

        // Events committed while reads are on their way (Loading > 0).
        public List<CommittedEvent>? Held;
        public int Loading;
    }

    // One member's counts, changed in place under the room's lock.
    private sealed class Counter(ReadCounts counts)
    {
        public long UserId = counts.UserId;
        public long LastReadSeq = counts.LastReadSeq;
        public int UnreadCount = counts.UnreadCount;
        public int MentionCount = counts.MentionCount;

        public ReadCounts Now => new(UserId, LastReadSeq, UnreadCount, MentionCount);
    }

    /// <summary>The counts of <paramref name="userId"/> in the room; null when they are not a member.</summary>
    public async ValueTask<ReadCounts?> CountsAsync(Room room, long userId, CancellationToken cancellationToken = default)
    {
        var reads = rooms.GetOrAdd(room.Id, static (_, room) => new RoomReads(room), room);
        lock (reads.Gate)
        {
            if (reads.Counts is { } counts)
            {
                return counts.GetValueOrDefault(userId)?.Now;
            }
        }

        await LoadAsync(reads, userId: null, cancellationToken);
        lock (reads.Gate)
        {
            return reads.Counts?.GetValueOrDefault(userId)?.Now;
        }
    }

    /// <summary>
    /// Moves the user's read marker forward to <paramref name="seq"/> (never back, at most the room's newest) and tells
    /// their devices (<c>read_marker</c>); their counts after it, or null when they are not a member.
    /// </summary>
    public async Task<ReadCounts?> MarkReadAsync(Room room, MessageAuthor user, long seq, CancellationToken cancellationToken = default)
    {
        await store.MarkReadAsync(room.Id, user.Id, seq, cancellationToken);
        var reads = rooms.GetOrAdd(room.Id, static (_, room) => new RoomReads(room), room);
        bool loaded;
        lock (reads.Gate)
        {
            loaded = reads.Counts is not null;
        }

        await LoadAsync(reads, loaded ? user.Id : null, cancellationToken);
        ReadCounts? counts;
        lock (reads.Gate)
        {
            counts = reads.Counts?.GetValueOrDefault(user.Id)?.Now;
        }

        if (counts is not null)
        {
            // The other nodes read this user's counts again; their devices hear of it from this node, wherever they are.
            cluster.PublishReadMoved(room.Id, user.Id);
            Send(new Broadcast(UserChannel.Topic(user.Id), ReadMarkerEvent, JsonPayload.Serialize(
                new ReadMarkerNotice(room.Slug, counts.LastReadSeq, counts.UnreadCount, counts.MentionCount), ConfabJsonContext.Default.ReadMarkerNotice)), everyNode: true);
        }

        return counts;
    }

    // Another node moved a user's marker: their counts here are read again (if this node keeps the room's).
    private void OnReadMoved(long roomId, long userId)
    {
        if (rooms.TryGetValue(roomId, out var reads))
        {
            lock (reads.Gate)
            {
                if (reads.Counts is null)
                {
                    return; // read whole on next use
                }

                reads.Loading++;
                reads.Held ??= [];
            }

            _ = LoadInBackgroundAsync(reads, userId);
        }
    }

    // Markers may have moved unheard (this node's Redis subscription was down): every room's counts are read again on
    // their next use.
    private void OnMissed()
    {
        foreach (var reads in rooms.Values)
        {
            lock (reads.Gate)
            {
                if (reads.Loading == 0)
                {
                    reads.Counts = null;
                }
            }
        }
    }

    // Every room event, in each room's seq order, once, whichever node committed it (RoomEventStream); this node's own
    // on the writer, after each commit.
    private void OnSequenced(Room room, string name, IRoomEvent payload)
    {
        if (payload is not (Message or MessageDeleted or MemberChanged))
        {
            return;
        }

        var change = new CommittedEvent(room, name, payload, 0);
        var reads = rooms.GetOrAdd(room.Id, static (_, room) => new RoomReads(room), room);
        List<Notice>? notices = null;
        bool load;
        lock (reads.Gate)
        {
            // Read from the store (which has this event) the first time, and again after a delete, which may lower
            // anyone's counts. The event is held with the read, so that the first read tells of it.
            load = reads.Counts is null ? reads.Loading == 0 : payload is MessageDeleted;
            if (load)
            {
                reads.Loading++;
                reads.Held ??= [];
            }

            reads.Held?.Add(change);
            if (reads.Counts is not null)
            {
                notices = [];
                Apply(reads, change, onlyUser: null, notices);
            }
        }

        if (load)
        {
            _ = LoadInBackgroundAsync(reads);
        }

        Publish(notices);
    }

    private async Task LoadInBackgroundAsync(RoomReads reads, long? userId = null)
    {
        try
        {
            await LoadAsync(reads, userId, CancellationToken.None, registered: true);
        }
        catch (Exception e) when (e is StorageException or OperationCanceledException)
        {
            // The counts stay as they were (or unread); the next event or request reads them again.
            LogLoadFailed(logger, e, reads.Room.Slug);
        }
    }

    // Reads the counts of every member (userId null) or one, holding the events that commit meanwhile; then installs
    // them and applies what was held and is newer than the read. A first read of the room also tells its members of the
    // held events, which nobody was told of yet.
    private async Task LoadAsync(RoomReads reads, long? userId, CancellationToken cancellationToken, bool registered = false)
    {
        if (!registered)
        {
            lock (reads.Gate)
            {
                reads.Loading++;
                reads.Held ??= [];
            }
        }

        List<Notice> notices = [];
        try
        {
            var (lastSeq, counts) = await store.ReadCountsAsync(reads.Room.Id, userId, cancellationToken);
            lock (reads.Gate)
            {
                var first = reads.Counts is null;
                var before = reads.Counts;
                if (userId is null || first)
                {
                    reads.Counts = counts.ToDictionary(c => c.UserId, c => new Counter(c));
                }
                else
                {
                    reads.Counts!.Remove(userId.Value);
                    foreach (var one in counts)
                    {
                        reads.Counts[one.UserId] = new Counter(one);
                    }
                }

                foreach (var held in reads.Held!)
                {
                    if (held.Payload.Seq > lastSeq)
                    {
                        Apply(reads, held, userId, notices);
                    }
                    else if (first)
                    {
                        Announce(reads, held, notices);
                    }
                }

                if (!first && userId is null)
                {
                    // A read again after a delete: whoever's counts changed hears of it.
                    foreach (var (id, now) in reads.Counts)
                    {
                        if (before!.TryGetValue(id, out var was) && (was.UnreadCount != now.UnreadCount || was.MentionCount != now.MentionCount))
                        {
                            notices.Add(Activity(reads.Room, now.Now, lastSeq));
                        }
                    }
                }
            }
        }
        finally
        {
            lock (reads.Gate)
            {
                if (--reads.Loading == 0)
                {
                    reads.Held = null;
                }
            }
        }

        Publish(notices);
    }

    // One event applied to the counts (of onlyUser, or of everyone), with the notices it makes. Under the room's lock.
    private static void Apply(RoomReads reads, CommittedEvent change, long? onlyUser, List<Notice> notices)
    {
        var counts = reads.Counts!;
        switch (change.Payload)
        {
            case Message message:
                foreach (var (id, counter) in counts)
                {
                    if (id == message.User.Id || (onlyUser is { } only && id != only))
                    {
                        continue;
                    }

                    var mentioned = message.Mentions.Contains(id);
                    counter.UnreadCount++;
                    counter.MentionCount += mentioned ? 1 : 0;
                    notices.Add(Activity(reads.Room, counter.Now, message.Seq));
                    if (mentioned)
                    {
                        notices.Add(new Notice(id, MentionEvent, new MentionNotice(reads.Room.Slug, message)));
                    }
                }

                break;
            case MemberChanged { Role: { } role } member when change.Event == RoomEventNames.MemberAdded && (onlyUser is null || onlyUser == member.User.Id):
                // The new member's marker is where the room was when they joined (ChatStore.InsertMember).
                if (!counts.ContainsKey(member.User.Id))
                {
                    counts[member.User.Id] = new Counter(new ReadCounts(member.User.Id, member.Seq - 1, 0, 0));
                    notices.Add(RoomNotice(member.User.Id, RoomAddedEvent, reads.Room, role));
                }

                break;
            case MemberChanged member when change.Event == RoomEventNames.MemberRemoved && (onlyUser is null || onlyUser == member.User.Id):
                if (counts.Remove(member.User.Id))
                {
                    notices.Add(RoomNotice(member.User.Id, RoomRemovedEvent, reads.Room, null));
                }

                break;
        }
    }

    // An event the counts already include, told to those it concerns (a room's first read).
    private static void Announce(RoomReads reads, CommittedEvent change, List<Notice> notices)
    {
        switch (change.Payload)
        {
            case Message message:
                foreach (var (id, counter) in reads.Counts!)
                {
                    if (id != message.User.Id)
                    {
                        notices.Add(Activity(reads.Room, counter.Now, message.Seq));
                    }
                }

                break;
            case MemberChanged { Role: { } role } member when change.Event == RoomEventNames.MemberAdded && reads.Counts!.ContainsKey(member.User.Id):
                notices.Add(RoomNotice(member.User.Id, RoomAddedEvent, reads.Room, role));
                break;
            case MemberChanged member when change.Event == RoomEventNames.MemberRemoved && !reads.Counts!.ContainsKey(member.User.Id):
                notices.Add(RoomNotice(member.User.Id, RoomRemovedEvent, reads.Room, null));
                break;
        }
    }

    private static Notice Activity(Room room, ReadCounts counts, long seq) =>
        new(counts.UserId, RoomActivityEvent, new RoomActivityNotice(room.Slug, seq, counts.UnreadCount, counts.MentionCount));

    private static Notice RoomNotice(long userId, string @event, Room room, string? role) =>
        new(userId, @event, new RoomNoticePayload(room.Slug, room.Name, room.Visibility, role));

    // Derived notices go to this node's sockets of each user: written only for users who have one here (in a cluster, a
    // room's members are spread over the nodes, and every node derives every member's notices).
    private void Publish(List<Notice>? notices)
    {
        foreach (var notice in notices ?? [])
        {
            var topic = UserChannel.Topic(notice.UserId);
            if (pubSub.HasLocalSubscribers(topic))
            {
                Send(new Broadcast(topic, notice.Event, Write(notice.Body)), everyNode: false);
            }
        }
    }

    private static JsonPayload Write(object body) => body switch
    {
        RoomActivityNotice activity => JsonPayload.Serialize(activity, ConfabJsonContext.Default.RoomActivityNotice),
        MentionNotice mention => JsonPayload.Serialize(mention, ConfabJsonContext.Default.MentionNotice),
        RoomNoticePayload room => JsonPayload.Serialize(room, ConfabJsonContext.Default.RoomNoticePayload),
        _ => throw new ArgumentException($"No notice is written from a {body.GetType().Name}.", nameof(body)),
    };

    // What each node derives from the room events it delivers goes to its own sockets (every node derives it); what
    // happened on this node alone, to every node's.
    private void Send(Broadcast notice, bool everyNode)
    {
        var sent = everyNode ? pubSub.BroadcastAsync(notice) : pubSub.LocalBroadcastAsync(notice);
        if (!sent.IsCompletedSuccessfully)
        {
            _ = ObserveAsync(sent);
        }
    }

    private async Task ObserveAsync(ValueTask sent)
    {
        try
        {
            await sent;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogPublishFailed(logger, e);
        }
    }

    // A notice for one user: its event, and what its payload is written from (only if it is sent).
    private sealed record Notice(long UserId, string Event, object Body);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        stream.Sequenced += OnSequenced;
        cluster.ReadMoved += OnReadMoved;
        cluster.Missed += OnMissed;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        stream.Sequenced -= OnSequenced;
        cluster.ReadMoved -= OnReadMoved;
        cluster.Missed -= OnMissed;
        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Warning, Message = "Reading the unread counts of room {Room} failed; they are read again on the next event.")]
    private static partial void LogLoadFailed(ILogger logger, Exception exception, string room);

    [LoggerMessage(EventId = 301, Level = LogLevel.Warning, Message = "A user notice could not be published.")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception);
}

/// <summary><c>room_activity</c> <c>{"room": "general", "seq": 42, "unread_count": 3, "mention_count": 1}</c>.</summary>
public sealed record RoomActivityNotice(string Room, long Seq, int UnreadCount, int MentionCount);

/// <summary><c>read_marker</c> <c>{"room": "general", "last_read_seq": 42, "unread_count": 0, "mention_count": 0}</c>.</summary>
public sealed record ReadMarkerNotice(string Room, long LastReadSeq, int UnreadCount, int MentionCount);

/// <summary><c>mention</c> <c>{"room": "general", "message": {...}}</c>.</summary>
public sealed record MentionNotice(string Room, Message Message);

/// <summary><c>room_added</c> / <c>room_removed</c> <c>{"room": "crew", "name": "Crew", "visibility": "private", "role": "member"}</c>.</summary>
public sealed record RoomNoticePayload(string Room, string Name, string Visibility, string? Role);

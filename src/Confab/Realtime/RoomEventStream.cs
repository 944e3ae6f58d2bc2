using System.Collections.Concurrent;
using Confab.Api;
using Confab.Channels;
using Confab.Messages;
using Confab.Rooms;
using Confab.Storage;
using Microsoft.Extensions.Options;

namespace Confab.Realtime;

/// <summary>
/// The receiving side of every room's events, for every transport: whatever feeds it (this process's commits through
/// <see cref="RoomBroadcasts"/>; other nodes' through the cluster's backplane), each room's <see cref="RoomSequencer"/>
/// hands its events on in seq order, once: to <see cref="Sequenced"/>, then to the room's topic (<c>room:&lt;slug&gt;</c>),
/// where sockets and web pages are subscribed.
/// </summary>
public sealed partial class RoomEventStream(
    IPubSub pubSub, ChatStore store, TimeProvider time, IOptions<RealtimeOptions> options, ILogger<RoomEventStream> logger)
{
    private readonly ConcurrentDictionary<long, RoomSequencer> rooms = new();
    private long dropped;
    private long gapsFilled;

    internal ChatStore Store => store;

    internal TimeProvider Time => time;

    /// <summary>How long an event past a gap waits for what is missing before it is read from the store.</summary>
    public TimeSpan GapTimeout => options.Value.GapTimeout;

    /// <summary>Duplicates and events older than what was handed on, dropped.</summary>
    public long DroppedCount => Interlocked.Read(ref dropped);

    /// <summary>Gaps filled from the store.</summary>
    public long GapsFilledCount => Interlocked.Read(ref gapsFilled);

    /// <summary>
    /// Every room event, in each room's seq order, once, whichever node committed it: for state kept per room in memory
    /// (<see cref="ReadState"/>). Called under the room's lock, before the event is broadcast; handlers must be quick and
    /// must not throw.
    /// </summary>
    public event Action<Room, string, IRoomEvent>? Sequenced;

    /// <summary>
    /// Another node changed a room's members or settings (its event came through the backplane, or was read to fill a
    /// gap): what this node keeps of the room's roster is out of date (<see cref="RoomMembers"/>).
    /// </summary>
    public event Action<long>? RosterChanged;

    /// <summary>Takes one event of a room; it is handed on now if it is next, later if events before it are missing.</summary>
    public void Receive(Room room, string name, IRoomEvent payload) => SequencerOf(room).Receive(name, payload);

    /// <summary>
    /// An event another node committed (the cluster's backplane): a change of members or of the room also makes this node
    /// read the room's roster again, as this node's own commits keep it current before they are acknowledged.
    /// </summary>
    public void ReceiveRemote(Room room, string name, IRoomEvent payload)
    {
        if (payload is MemberChanged or RoomUpdated)
        {
            RosterChanged?.Invoke(room.Id);
        }

        Receive(room, name, payload);
    }

    /// <summary>
    /// What a join shows (<see cref="ChatStore.ReadRoomAsync"/>); the room's events are handed on from where it read, if
    /// they were not already: so that a node that starts hearing of a room only after a lost publish still notices it.
    /// </summary>
    public async Task<RoomSnapshot> ReadRoomAsync(Room room, long? lastSeq, int history, int backlog, CancellationToken cancellationToken = default)
    {
        var snapshot = await store.ReadRoomAsync(room.Id, lastSeq, history, backlog, cancellationToken);
        SequencerOf(room).Prime(snapshot.LastSeq);
        return snapshot;
    }

    /// <summary>
    /// Compares what each room's sequencer handed on with the room's newest seq in the store, and reads what is missing
    /// (the cluster's sweep, and after the backplane reconnects). One read per <see cref="SqlStatement.MaxParameters"/> rooms.
    /// </summary>
    public async Task CatchUpAsync(CancellationToken cancellationToken)
    {
        var ids = rooms.Keys.ToList();
        for (var first = 0; first < ids.Count; first += SqlStatement.MaxParameters)
        {
            var some = ids.GetRange(first, Math.Min(SqlStatement.MaxParameters, ids.Count - first));
            foreach (var (roomId, lastSeq) in await store.ReadLastSeqsAsync(some, cancellationToken))
            {
                rooms.GetValueOrDefault(roomId)?.CatchUp(lastSeq);
            }
        }
    }

    /// <summary>The room's sequencer, once it has received an event (tests, diagnostics).</summary>
    public RoomSequencer? Sequencer(long roomId) => rooms.GetValueOrDefault(roomId);

    private RoomSequencer SequencerOf(Room room) =>
        rooms.GetOrAdd(room.Id, static (id, state) => new RoomSequencer(id, state.Room, state.Stream), (Room: room, Stream: this));

    // Events read from the store to fill a gap: they may be other nodes' changes of members this node has not heard of.
    internal void Read(long roomId, IReadOnlyList<RoomEventEntry> events)
    {
        foreach (var entry in events)
        {
            if (entry.Payload is MemberChanged or RoomUpdated)
            {
                RosterChanged?.Invoke(roomId);
                return;
            }
        }
    }

    internal void Deliver(Room room, string topic, string name, IRoomEvent payload)
    {
        Sequenced?.Invoke(room, name, payload);
        // Every node delivers every event from its own sequencer: this one's subscribers only.
        var published = pubSub.LocalBroadcastAsync(new Broadcast(topic, name, RoomEventJson.Payload(payload), payload));
        if (!published.IsCompletedSuccessfully)
        {
            _ = ObserveAsync(published, topic);
        }
    }

    internal void Dropped() => Interlocked.Increment(ref dropped);

    internal void GapFilled() => Interlocked.Increment(ref gapsFilled);

    internal void GapFillFailed(long roomId, Exception exception) => LogGapFillFailed(logger, exception, roomId);

    private async Task ObserveAsync(ValueTask published, string topic)
    {
        try
        {
            await published;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Committed but not delivered live: clients get it on their next join with last_seq.
            LogPublishFailed(logger, e, topic);
        }
    }

    [LoggerMessage(EventId = 301, Level = LogLevel.Error, Message = "Publishing a committed event to {Topic} failed.")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception, string topic);

    [LoggerMessage(EventId = 302, Level = LogLevel.Warning, Message = "Reading the events missing in room {RoomId} failed; trying again.")]
    private static partial void LogGapFillFailed(ILogger logger, Exception exception, long roomId);
}

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
/// <see cref="RoomBroadcasts"/>; a backplane between nodes), each room's <see cref="RoomSequencer"/> hands its events on
/// in seq order, once, to the room's topic (<c>room:&lt;slug&gt;</c>), where sockets and web pages are subscribed.
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

    /// <summary>Takes one event of a room; it is handed on now if it is next, later if events before it are missing.</summary>
    public void Receive(Room room, string name, IRoomEvent payload) =>
        rooms.GetOrAdd(room.Id, static (id, state) => new RoomSequencer(id, RoomActivity.Topic(state.Slug), state.Stream), (room.Slug, Stream: this))
            .Receive(name, payload);

    /// <summary>The room's sequencer, once it has received an event (tests, diagnostics).</summary>
    public RoomSequencer? Sequencer(long roomId) => rooms.GetValueOrDefault(roomId);

    internal void Deliver(string topic, string name, IRoomEvent payload)
    {
        var published = pubSub.BroadcastAsync(new Broadcast(topic, name, RoomEventJson.Payload(payload), payload));
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

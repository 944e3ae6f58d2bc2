using System.Collections.Concurrent;
using Confab.Channels;
using Confab.Messages;
using Confab.Realtime;
using Confab.Rooms;
using Confab.Storage;
using Confab.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Confab.Tests.Realtime;

/// <summary>
/// The receiving side's ordering: events handed in out of order, duplicated and with a gap come out in seq order exactly
/// once, the gap filled from the store after the gap timeout (a fake clock), over a real SQLite store.
/// </summary>
public sealed class RoomSequencerTests : IAsyncLifetime, IBroadcastSubscriber, IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 10, 0, 0, TimeSpan.Zero);
    private readonly TempFolder folder = TempFolder.Create();
    private readonly FakeTimeProvider clock = new(Now);
    private readonly ConcurrentQueue<(string Event, long Seq)> received = new();
    private SqliteExecutor executor = null!;
    private ChatStore store = null!;
    private RoomEventStream stream = null!;
    private Room general = null!;
    private RoomEventEntry[] events = [];

    void IBroadcastSubscriber.OnBroadcast(Broadcast message) => received.Enqueue((message.Event, ((IRoomEvent)message.Value!).Seq));

    public async Task InitializeAsync()
    {
        executor = new SqliteExecutor(Path.Combine(folder.Path, "confab.db"), TimeSpan.FromSeconds(5));
        executor.Initialize();
        await new SqliteMigrator(executor, Path.Combine(AppContext.BaseDirectory, "db", "migrations")).ApplyAsync().Within();
        store = new ChatStore(executor);
        general = (await store.GetRoomBySlugAsync("general").Within())!;
        var user = (await store.CreateUserAsync("alice", "alice@example.com", "hash", Now).Within())!;
        var alice = new MessageAuthor(user.Id, user.Username);

        // Six committed events: seqs 1-6 in the store, as a node that committed them would have them.
        var first = (Message)(store.Commit([new PostMessage(general, alice, "one", null, null)], Now))[0]!.Payload;
        var rest = store.Commit(
            [
                new PostMessage(general, alice, "two", null, null),
                new ChangeReaction(general, alice, first.Id, "👍", Add: true),
                new EditMessage(general, alice, first.Id, "one, edited"),
                new PostMessage(general, alice, "five", null, null),
                new ChangeReaction(general, alice, first.Id, "👍", Add: false),
            ],
            Now);
        events = [new RoomEventEntry(RoomEventNames.NewMessage, first), .. rest.Select(c => new RoomEventEntry(c!.Event, c.Payload))];
        Assert.Equal([1L, 2, 3, 4, 5, 6], events.Select(e => e.Payload.Seq));

        var pubSub = new LocalPubSub();
        pubSub.Subscribe(RoomActivity.Topic("general"), this);
        stream = new RoomEventStream(pubSub, store, clock, Options.Create(new RealtimeOptions()), NullLogger<RoomEventStream>.Instance);
    }

    public Task DisposeAsync() => Task.CompletedTask; // Dispose cleans up

    public void Dispose()
    {
        executor.Dispose();
        folder.Dispose();
    }

    private void Feed(params int[] seqs)
    {
        foreach (var seq in seqs)
        {
            stream.Receive(general, events[seq - 1].Event, events[seq - 1].Payload);
        }
    }

    [Fact]
    public void In_order_events_are_handed_on_at_once()
    {
        Feed(1, 2, 3, 4, 5, 6);

        Assert.Equal([1L, 2, 3, 4, 5, 6], received.Select(r => r.Seq));
        Assert.Equal(
            ["new_message", "new_message", "reaction_added", "message_updated", "new_message", "reaction_removed"],
            received.Select(r => r.Event));
    }

    [Fact]
    public async Task Out_of_order_and_duplicated_events_come_out_in_order_once_and_a_gap_is_filled_from_the_store()
    {
        Feed(1, 3, 2, 2, 6, 5, 3);

        // 1-3 in order; 5 and 6 wait behind the gap at 4; the repeats are dropped.
        Assert.Equal([1L, 2, 3], received.Select(r => r.Seq));
        Assert.Equal(2, stream.Sequencer(general.Id)!.Held);
        Assert.Equal(2, stream.DroppedCount);

        clock.Advance(stream.GapTimeout - TimeSpan.FromMilliseconds(1));
        Assert.Equal(3, received.Count);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        await Eventually(() => received.Count == 6);

        Assert.Equal([1L, 2, 3, 4, 5, 6], received.Select(r => r.Seq));
        Assert.Equal("message_updated", received.ToArray()[3].Event);
        Assert.Equal(1, stream.GapsFilledCount);

        // The late original of the gap, and anything older, is dropped.
        Feed(4, 1);
        Assert.Equal(6, received.Count);
        Assert.Equal(6, stream.Sequencer(general.Id)!.Delivered);
    }

    [Fact]
    public async Task Events_arriving_while_a_gap_is_filled_wait_their_turn()
    {
        Feed(1, 2, 4);
        Assert.Equal([1L, 2], received.Select(r => r.Seq));

        clock.Advance(stream.GapTimeout);
        Feed(6, 5);
        await Eventually(() => received.Count == 6);

        Assert.Equal([1L, 2, 3, 4, 5, 6], received.Select(r => r.Seq));
        Assert.Equal(0, stream.Sequencer(general.Id)!.Held);
    }

    [Fact]
    public async Task The_last_events_of_a_room_that_falls_silent_are_read_when_the_sweep_finds_the_store_ahead()
    {
        // 3-6 were committed by another node, and their publish was lost: no later event shows the gap.
        Feed(1, 2);
        stream.Sequencer(general.Id)!.CatchUp(2);
        clock.Advance(stream.GapTimeout * 10);
        Assert.Equal([1L, 2], received.Select(r => r.Seq));

        await stream.CatchUpAsync(CancellationToken.None).Within();
        Assert.Equal(2, received.Count); // given the moment a gap gets, in case they are on their way
        clock.Advance(stream.GapTimeout);
        await Eventually(() => received.Count == 6);

        Assert.Equal([1L, 2, 3, 4, 5, 6], received.Select(r => r.Seq));
        Feed(5, 6); // their publish, late after all: dropped
        Assert.Equal(6, received.Count);
    }

    [Fact]
    public async Task What_the_sweep_finds_in_the_store_and_arrives_within_the_gap_timeout_is_not_read_again()
    {
        // Under load the store is always a little ahead of what arrived: 3-6 are on their way, not lost.
        Feed(1, 2);
        await stream.CatchUpAsync(CancellationToken.None).Within();
        Feed(3, 4, 5, 6);
        clock.Advance(stream.GapTimeout * 2);

        Assert.Equal([1L, 2, 3, 4, 5, 6], received.Select(r => r.Seq));
        Assert.Equal(0, stream.GapsFilledCount);
    }

    [Fact]
    public async Task A_join_sets_where_a_room_starts_and_what_it_read_is_not_handed_on_again()
    {
        // The first join reads up to 6: the room starts there, not at whatever event this node hears of first.
        var snapshot = await stream.ReadRoomAsync(general, lastSeq: null, history: 10, backlog: 10).Within();
        Assert.Equal(6, snapshot.LastSeq);
        Assert.Equal(6, stream.Sequencer(general.Id)!.Delivered);

        Feed(5, 6);
        Assert.Empty(received);
        Assert.Equal(2, stream.DroppedCount);
    }

    private static async Task Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 5 s");
            await Task.Delay(10);
        }
    }
}

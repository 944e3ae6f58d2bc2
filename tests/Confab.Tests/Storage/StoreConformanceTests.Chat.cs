using Confab.Messages;
using Confab.Rooms;
using Confab.Storage;
using Confab.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Confab.Tests.Storage;

/// <summary>The conformance suite's second half: ChatStore's queries and MessageLog's group commit, on each executor.</summary>
public abstract partial class StoreConformanceTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 10, 0, 0, 123, TimeSpan.Zero);

    private async Task<(Room Room, MessageAuthor Author)> GeneralAndAliceAsync()
    {
        var user = await Store.CreateUserAsync("alice", "alice@example.com", "hash", Now).Within();
        var room = await Store.GetRoomBySlugAsync("general").Within();
        return (room!, new MessageAuthor(user!.Id, user.Username));
    }

    [Fact]
    public async Task Users_are_unique_by_username_and_by_email_in_any_case_and_found_by_either()
    {
        var alice = (await Store.CreateUserAsync("alice", "alice@example.com", "hash-a", Now).Within())!;

        Assert.Null(await Store.CreateUserAsync("ALICE", "other@example.com", "h", Now).Within());
        Assert.Null(await Store.CreateUserAsync("other", "Alice@Example.com", "h", Now).Within());
        Assert.Equal((true, false), await Store.FindTakenAsync("Alice", "new@example.com").Within());
        Assert.Equal((false, true), await Store.FindTakenAsync("new", "ALICE@example.com").Within());
        var byEmail = await Store.FindUserByLoginAsync("ALICE@EXAMPLE.COM").Within();
        Assert.Equal((alice, "hash-a"), byEmail);
        Assert.Equal(alice, await Store.GetUserAsync(alice.Id).Within());
        Assert.Equal(DbTime.Stored(Now), alice.InsertedAt);
        Assert.Null(await Store.GetUserAsync(alice.Id + 1).Within());
    }

    [Fact]
    public async Task Rooms_start_with_the_seeded_three_and_a_slug_is_taken_once()
    {
        Assert.Equal(["general", "tech-talk", "random"], (await Store.ListRoomsAsync().Within()).Select(r => r.Slug));

        var created = await Store.CreateRoomAsync("Night Owls", "Late talk.", "night-owls", RoomVisibility.Public, Now).Within();

        Assert.NotNull(created);
        Assert.Equal(("Night Owls", "Late talk."), (created.Name, created.Description));
        Assert.Null(await Store.CreateRoomAsync("Night owls!", "", "night-owls", RoomVisibility.Public, Now).Within());
        Assert.Equal(created, await Store.GetRoomBySlugAsync("night-owls").Within());
        Assert.Null(await Store.GetRoomBySlugAsync("Night-Owls").Within());
        Assert.Equal(4, (await Store.ListRoomsAsync().Within()).Count);
    }

    [Fact]
    public async Task Each_room_numbers_its_messages_and_a_repeated_client_id_stores_nothing()
    {
        var (general, alice) = await GeneralAndAliceAsync();
        var random = await Store.GetRoomBySlugAsync("random").Within();

        var committed = Store.Commit(
            [
                Post(general, alice, "one", "k1"),
                Post(general, alice, "two", null),
                Post(random!, alice, "elsewhere", null),
                Post(general, alice, "one again", "k1"),
                Post(general, alice, "three", "k3"),
            ],
            Now);

        var stored = committed.Select(c => (c?.Payload as Message) is { } m ? (m.Id, m.Seq) : ((long, long)?)null).ToList();
        Assert.Equal([1L, 2L, 1L], stored.Take(3).Select(s => s!.Value.Item2));
        Assert.Null(stored[3]);
        Assert.Equal(3, stored[4]!.Value.Item2);
        Assert.All(committed.Where(c => c is not null), c => Assert.Equal(RoomEventNames.NewMessage, c!.Event));
        // Ids and seqs as read back, not only as reckoned from the batch's answer.
        var inGeneral = await Store.ListMessagesAfterAsync(general.Id, 0, null, 10).Within();
        Assert.Equal([stored[0], stored[1], stored[4]], inGeneral.Messages.Select(m => ((long, long)?)(m.Id, m.Seq)));
        Assert.Equal(stored[2], (await Store.ListMessagesAfterAsync(random!.Id, 0, null, 10).Within()).Messages.Select(m => ((long, long)?)(m.Id, m.Seq)).Single());
        var original = await Store.GetMessageByClientIdAsync(alice.Id, "k1").Within();
        Assert.Equal(("one", 1L, "k1", DbTime.Stored(Now)), (original!.Content, original.Seq, original.ClientId, original.InsertedAt));
        Assert.Equal(alice, original.User);
    }

    [Fact]
    public async Task History_pages_backward_and_forward_without_gaps_or_duplicates()
    {
        var (general, alice) = await GeneralAndAliceAsync();
        await Executor.BatchAsync(Enumerable.Range(1, 25).Select(i => ChatStore.InsertMessage(general.Id, alice.Id, $"m{i}", null, Now)).ToList()).Within();

        var newest = await Store.ListMessagesBeforeAsync(general.Id, null, 10).Within();
        var older = await Store.ListMessagesBeforeAsync(general.Id, newest.Messages[0].Seq, 10).Within();
        var oldest = await Store.ListMessagesBeforeAsync(general.Id, older.Messages[0].Seq, 10).Within();
        var after20 = await Store.ListMessagesAfterAsync(general.Id, 20, null, 10).Within();
        var between = await Store.ListMessagesAfterAsync(general.Id, 5, 9, 10).Within();

        Assert.Equal(Seqs(16, 25), newest.Messages.Select(m => m.Seq));
        Assert.True(newest.HasMore);
        Assert.Equal(Seqs(6, 15), older.Messages.Select(m => m.Seq));
        Assert.Equal(Seqs(1, 5), oldest.Messages.Select(m => m.Seq));
        Assert.False(oldest.HasMore);
        Assert.Equal(Seqs(21, 25), after20.Messages.Select(m => m.Seq));
        Assert.False(after20.HasMore);
        Assert.Equal(Seqs(6, 8), between.Messages.Select(m => m.Seq));
        Assert.Equal("m25", newest.Messages[^1].Content);
        // Bounds past what any database carries exactly are clamped, not refused.
        Assert.Equal(10, (await Store.ListMessagesBeforeAsync(general.Id, long.MaxValue, 10).Within()).Messages.Count);
        Assert.Empty((await Store.ListMessagesAfterAsync(general.Id, long.MaxValue, null, 10).Within()).Messages);
    }

    [Fact]
    public async Task Text_is_stored_exactly_as_given()
    {
        var (general, alice) = await GeneralAndAliceAsync();
        var texts = new[]
        {
            "<script>alert(\"x\")</script> & 'quotes' \\ back\\slash",
            "line one\nline two\ttabbed",
            "añ ü 中文 עברית 😀👍🏽",
            string.Concat(Enumerable.Repeat("😀", 2000)),
            new string('a', 2000),
        };

        await Executor.BatchAsync(texts.Select((text, i) => ChatStore.InsertMessage(general.Id, alice.Id, text, $"t{i}", Now)).ToList()).Within();

        for (var i = 0; i < texts.Length; i++)
        {
            Assert.Equal(texts[i], (await Store.GetMessageByClientIdAsync(alice.Id, $"t{i}").Within())!.Content);
        }
    }

    [Fact]
    public async Task Data_protection_keys_are_kept_in_order_and_replaced_by_friendly_name()
    {
        await Store.StoreDataProtectionKeyAsync("key-1", "<key id=\"1\" />").Within();
        await Store.StoreDataProtectionKeyAsync("key-2", "<key id=\"2\" />").Within();
        await Store.StoreDataProtectionKeyAsync("key-1", "<key id=\"1\" revoked=\"true\" />").Within();

        var keys = await Store.GetDataProtectionKeysAsync().Within();

        Assert.Equal(2, keys.Count);
        Assert.Contains("<key id=\"2\" />", keys);
        Assert.Contains("<key id=\"1\" revoked=\"true\" />", keys);
    }

    [Fact]
    public async Task A_group_commit_is_one_batch_and_numbers_the_messages_in_the_order_they_were_queued()
    {
        var (general, alice) = await GeneralAndAliceAsync();
        var counting = new CountingExecutor(Executor);
        await using var log = NewLog(new ChatStore(counting));

        // Queued before the writer starts, so that it takes them all at once.
        var sends = Enumerable.Range(1, 30).Select(i => log.AppendAsync(general, alice, $"m{i}", null).AsTask()).ToList();
        await log.StartAsync(CancellationToken.None).Within();
        var committed = await Task.WhenAll(sends).Within();

        Assert.Equal(1, counting.Batches);
        Assert.Equal(Seqs(1, 30), committed.Select(r => r.Message.Seq));
        Assert.Equal(Seqs(1, 30), (await Store.ListMessagesAfterAsync(general.Id, 0, null, 100).Within()).Messages.Select(m => m.Seq));
    }

    [Fact]
    public async Task A_message_that_cannot_be_stored_fails_alone_and_the_rest_of_its_group_commits()
    {
        var (general, alice) = await GeneralAndAliceAsync();
        var ghost = new Room(999, "Ghost", "", "ghost", DateTime.UtcNow);
        await using var log = NewLog(Store);

        var sends = Enumerable.Range(0, 12).Select(i => log.AppendAsync(i == 6 ? ghost : general, alice, $"m{i}", null).AsTask()).ToList();
        await log.StartAsync(CancellationToken.None).Within();

        var failed = await Assert.ThrowsAsync<StorageException>(() => sends[6]).Within();
        Assert.Equal(StorageErrorKind.Constraint, failed.Kind);
        var committed = await Task.WhenAll(sends.Where((_, i) => i != 6)).Within();
        Assert.Equal(Seqs(1, 11), committed.Select(r => r.Message.Seq).Order());
        Assert.Equal(11, (await Store.ListMessagesAfterAsync(general.Id, 0, null, 100).Within()).Messages.Count);
    }

    [Fact]
    public async Task A_repeated_client_id_in_the_same_group_commit_returns_the_original_and_leaves_no_gap()
    {
        var (general, alice) = await GeneralAndAliceAsync();
        var counting = new CountingExecutor(Executor);
        await using var log = NewLog(new ChatStore(counting));

        var sends = new[] { ("a", "k1"), ("b", null), ("a again", "k1"), ("c", "k2"), ("b again", "k2"), ("d", null) }
            .Select(m => log.AppendAsync(general, alice, m.Item1, m.Item2).AsTask())
            .ToList();
        await log.StartAsync(CancellationToken.None).Within();
        var results = await Task.WhenAll(sends).Within();

        Assert.Equal(1, counting.Batches);
        Assert.Equal([false, false, true, false, true, false], results.Select(r => r.Duplicate));
        Assert.Equal(results[0].Message, results[2].Message);
        Assert.Equal(results[3].Message, results[4].Message);
        Assert.Equal(Seqs(1, 4), results.Where(r => !r.Duplicate).Select(r => r.Message.Seq));
        var stored = (await Store.ListMessagesAfterAsync(general.Id, 0, null, 100).Within()).Messages;
        Assert.Equal(results.Where(r => !r.Duplicate).Select(r => r.Message), stored);

        // And a repeat in a later commit.
        var later = await log.AppendAsync(general, alice, "a once more", "k1").AsTask().Within();
        Assert.True(later.Duplicate);
        Assert.Equal(results[0].Message, later.Message);
    }

    [Fact]
    public async Task A_batch_that_rolled_back_leaves_no_gap_in_seq()
    {
        var (general, alice) = await GeneralAndAliceAsync();
        var random = (await Store.GetRoomBySlugAsync("random").Within())!;
        await using var log = NewLog(new ChatStore(new FailingAtEnd(Executor, failures: 2)));

        // The group commit inserts all six and then fails, so it rolls back; split, the first one alone fails the same way.
        var sends = Enumerable.Range(1, 6).Select(i => log.AppendAsync(i % 2 == 0 ? random : general, alice, $"m{i}", $"k{i}").AsTask()).ToList();
        await log.StartAsync(CancellationToken.None).Within();

        await Assert.ThrowsAsync<StorageException>(() => sends[0]).Within();
        var committed = await Task.WhenAll(sends.Skip(1)).Within();
        Assert.Equal([1L, 1L, 2L, 2L, 3L], committed.Select(r => r.Message.Seq));
        var next = await log.AppendAsync(general, alice, "after", null).AsTask().Within();
        Assert.Equal(3, next.Message.Seq);
        Assert.Equal(Seqs(1, 3), (await Store.ListMessagesAfterAsync(general.Id, 0, null, 100).Within()).Messages.Select(m => m.Seq));
        Assert.Equal(Seqs(1, 3), (await Store.ListMessagesAfterAsync(random.Id, 0, null, 100).Within()).Messages.Select(m => m.Seq));
        Assert.Null(await Store.GetMessageByClientIdAsync(alice.Id, "k1").Within());
    }

    [Fact]
    public async Task Concurrent_senders_in_many_rooms_get_every_seq_of_each_room_once()
    {
        var (_, alice) = await GeneralAndAliceAsync();
        var rooms = new List<Room>(await Store.ListRoomsAsync().Within());
        // More rooms than one statement may name, so that a group commit reads their last seqs in two statements.
        for (var i = rooms.Count; i < SqlStatement.MaxParameters + 20; i++)
        {
            rooms.Add((await Store.CreateRoomAsync($"Room {i}", "", $"room-{i}", RoomVisibility.Public, Now).Within())!);
        }

        await using var log = NewLog(Store);
        await log.StartAsync(CancellationToken.None).Within();
        var sends = Enumerable.Range(0, 600)
            .Select(i => Task.Run(() => log.AppendAsync(rooms[i % rooms.Count], alice, $"m{i}", i % 5 == 0 ? $"k{i % 100}" : null).AsTask()))
            .ToList();
        var results = await Task.WhenAll(sends).Within(60);

        // 120 sends carry one of 20 client_ids: 20 are stored, 100 return one of those.
        var originals = results.Where(r => !r.Duplicate && r.Message.ClientId is not null).ToDictionary(r => r.Message.ClientId!, r => r.Message);
        Assert.Equal(20, originals.Count);
        Assert.Equal(100, results.Count(r => r.Duplicate));
        Assert.All(results.Where(r => r.Duplicate), r => Assert.Equal(originals[r.Message.ClientId!], r.Message));
        foreach (var room in rooms)
        {
            var acked = results.Where(r => !r.Duplicate && r.Message.RoomId == room.Id).Select(r => r.Message).OrderBy(m => m.Seq).ToList();
            var stored = (await Store.ListMessagesAfterAsync(room.Id, 0, null, 100).Within()).Messages;
            Assert.Equal(Seqs(1, acked.Count), acked.Select(m => m.Seq));
            Assert.Equal(acked, stored);
        }
    }

    /// <summary>Appends a statement that fails to the first <c>failures</c> batches, after their inserts ran.</summary>
    private sealed class FailingAtEnd(ISqlExecutor inner, int failures) : ISqlExecutor
    {
        public SqlDialect Dialect => inner.Dialect;

        private int left = failures;

        public Task<SqlResult> ExecuteAsync(SqlStatement statement, CancellationToken cancellationToken = default) =>
            inner.ExecuteAsync(statement, cancellationToken);

        public Task<IReadOnlyList<SqlResult>> BatchAsync(IReadOnlyList<SqlStatement> statements, CancellationToken cancellationToken = default) =>
            Interlocked.Decrement(ref left) >= 0
                ? inner.BatchAsync([.. statements, new SqlStatement("SELECT * FROM no_such_table")], cancellationToken)
                : inner.BatchAsync(statements, cancellationToken);
    }

    private static MessageLog NewLog(ChatStore store) =>
        new(store, TimeProvider.System, Options.Create(new MessageLogOptions()), TestMetrics.Create(), NullLogger<MessageLog>.Instance);

    private static IEnumerable<long> Seqs(int first, int last) => Enumerable.Range(first, last - first + 1).Select(i => (long)i);
}

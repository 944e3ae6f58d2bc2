using Confab.Messages;
using Confab.Rooms;
using Confab.Storage;
using Confab.Tests.Infrastructure;

namespace Confab.Tests.Storage;

/// <summary>The conformance suite's room events: edits, deletes, reactions and replies, numbered in one sequence per room.</summary>
public abstract partial class StoreConformanceTests
{
    private static PostMessage Post(Room room, MessageAuthor author, string content, string? clientId = null, ReplyPreview? replyTo = null) =>
        new(room, author, content, clientId, replyTo);

    private Message PostOne(Room room, MessageAuthor author, string content, ReplyPreview? replyTo = null) =>
        (Message)Store.Commit([Post(room, author, content, replyTo: replyTo)], Now)[0]!.Payload;

    private CommittedChange? CommitOne(RoomChange change) => Store.Commit([change], Now)[0];

    [Fact]
    public async Task Edits_deletes_and_reactions_take_the_rooms_next_seqs_and_replay_in_order()
    {
        var (general, alice) = await GeneralAndAliceAsync();
        var bobUser = await Store.CreateUserAsync("bob", "bob@example.com", "hash", Now).Within();
        var bob = new MessageAuthor(bobUser!.Id, "bob");
        var first = PostOne(general, alice, "first");
        var second = PostOne(general, bob, "second");

        // Several changes in one group commit, as the log makes them.
        var committed = Store.Commit(
            [
                new EditMessage(general, alice, first.Id, "first, edited"),
                new ChangeReaction(general, alice, second.Id, "👍", Add: true),
                new ChangeReaction(general, bob, second.Id, "👍", Add: true),
                new ChangeReaction(general, alice, second.Id, "🎉", Add: true),
                new ChangeReaction(general, alice, second.Id, "👍", Add: false),
            ],
            Now);
        var deleted = CommitOne(new DeleteMessage(general, alice, first.Id));
        var third = PostOne(general, bob, "third");

        Assert.Equal([3L, 4L, 5L, 6L, 7L], committed.Select(c => c!.Payload.Seq));
        var updated = Assert.IsType<MessageUpdated>(committed[0]!.Payload);
        Assert.Equal(("first, edited", first.Id, first.Seq), (updated.Message.Content, updated.Message.Id, updated.Message.Seq));
        Assert.Equal(DbTime.Stored(Now), updated.Message.EditedAt);
        Assert.Equal(new MessageDeleted(8, first.Id), deleted!.Payload);
        Assert.Equal(9, third.Seq);

        var all = await Store.ListEventsAfterAsync(general.Id, 0, 100).Within();
        Assert.False(all.HasMore);
        Assert.Equal(
            [
                (1L, "new_message"), (2L, "new_message"), (3L, "message_updated"), (4L, "reaction_added"), (5L, "reaction_added"),
                (6L, "reaction_added"), (7L, "reaction_removed"), (8L, "message_deleted"), (9L, "new_message"),
            ],
            all.Events.Select(e => (e.Payload.Seq, e.Event)));
        var reaction = Assert.IsType<ReactionChanged>(all.Events[4].Payload);
        Assert.Equal((second.Id, "👍", bob, true), (reaction.MessageId, reaction.Emoji, reaction.User, reaction.Added));
        Assert.False(Assert.IsType<ReactionChanged>(all.Events[6].Payload).Added);

        // Replayed messages are in their current state: the first is a tombstone, the second has bob's 👍 and alice's 🎉.
        var firstNow = Assert.IsType<Message>(all.Events[0].Payload);
        Assert.Equal(("", true, 0), (firstNow.Content, firstNow.Deleted, firstNow.Reactions.Count));
        var secondNow = Assert.IsType<Message>(all.Events[1].Payload);
        Assert.Equal(
            [("👍", 1, new long[] { bob.Id }), ("🎉", 1, new long[] { alice.Id })],
            secondNow.Reactions.Select(r => (r.Emoji, r.Count, r.UserIds.ToArray())));

        var since = await Store.ListEventsAfterAsync(general.Id, 6, 2).Within();
        Assert.True(since.HasMore);
        Assert.Equal([7L, 8L], since.Events.Select(e => e.Payload.Seq));

        var snapshot = await Store.ReadRoomAsync(general.Id, lastSeq: 7, history: 50, backlog: 50).Within();
        Assert.Equal(9, snapshot.LastSeq);
        Assert.Equal([9L], snapshot.Messages.Messages.Select(m => m.Seq));
        Assert.Equal([8L, 9L], snapshot.Events!.Events.Select(e => e.Payload.Seq));
        var fresh = await Store.ReadRoomAsync(general.Id, lastSeq: null, history: 50, backlog: 50).Within();
        Assert.Equal((9L, 3), (fresh.LastSeq, fresh.Messages.Messages.Count));
        Assert.Null(fresh.Events);
    }

    [Fact]
    public async Task Changes_that_no_longer_apply_commit_nothing_and_take_no_seq()
    {
        var (general, alice) = await GeneralAndAliceAsync();
        var random = (await Store.GetRoomBySlugAsync("random").Within())!;
        var bobUser = await Store.CreateUserAsync("bob", "bob@example.com", "hash", Now).Within();
        var bob = new MessageAuthor(bobUser!.Id, "bob");
        var mine = PostOne(general, alice, "mine");
        var gone = PostOne(general, alice, "to be deleted");
        Assert.NotNull(CommitOne(new DeleteMessage(general, alice, gone.Id)));
        Assert.NotNull(CommitOne(new ChangeReaction(general, bob, mine.Id, "👍", Add: true)));
        for (var i = 0; i < ChangeReaction.MaxDistinctEmoji - 1; i++)
        {
            Assert.NotNull(CommitOne(new ChangeReaction(general, alice, mine.Id, char.ConvertFromUtf32(0x1F600 + i), Add: true)));
        }

        var refused = Store.Commit(
            [
                new EditMessage(general, bob, mine.Id, "not bob's"),
                new DeleteMessage(general, bob, mine.Id),
                new EditMessage(general, alice, gone.Id, "deleted already"),
                new DeleteMessage(general, alice, gone.Id),
                new EditMessage(random, alice, mine.Id, "wrong room"),
                new ChangeReaction(general, bob, mine.Id, "👍", Add: true),
                new ChangeReaction(general, bob, mine.Id, "🎉", Add: false),
                new ChangeReaction(general, bob, gone.Id, "👍", Add: true),
                new ChangeReaction(random, bob, mine.Id, "😀", Add: true),
                new ChangeReaction(general, bob, mine.Id, "🦄", Add: true), // the 21st distinct emoji
                new EditMessage(general, alice, mine.Id + 1000, "no such message"),
            ],
            Now);

        Assert.All(refused, Assert.Null);
        // Events so far: two posts, a delete, 20 reactions.
        Assert.Equal(2 + 1 + ChangeReaction.MaxDistinctEmoji + 1, (PostOne(general, alice, "next")).Seq);
        var now = (await Store.GetMessageAsync(mine.Id).Within())!;
        Assert.Equal(("mine", null, ChangeReaction.MaxDistinctEmoji), (now.Content, now.EditedAt, now.Reactions.Count));
        // Reacting with an emoji already on the message is still fine at the limit.
        Assert.NotNull(CommitOne(new ChangeReaction(general, bob, mine.Id, "😀", Add: true)));
    }

    [Fact]
    public async Task A_reply_carries_a_preview_of_what_it_replies_to_and_a_delete_empties_it()
    {
        var (general, alice) = await GeneralAndAliceAsync();
        var original = PostOne(general, alice, new string('x', 150));
        var preview = new ReplyPreview(original.Id, original.Seq, alice, new string('x', 100));
        var reply = PostOne(general, alice, "a reply", preview);

        Assert.Equal(preview, reply.ReplyTo);
        Assert.Equal(preview, (await Store.GetMessageAsync(reply.Id).Within())!.ReplyTo);
        CommitOne(new DeleteMessage(general, alice, original.Id));
        var afterDelete = (await Store.ListMessagesBeforeAsync(general.Id, null, 10).Within()).Messages.Single(m => m.Id == reply.Id);
        Assert.Equal(preview with { Excerpt = "" }, afterDelete.ReplyTo);
    }

    [Fact]
    public async Task Members_mentions_a_moderators_delete_and_read_counts_take_and_report_the_rooms_seqs()
    {
        var (general, alice) = await GeneralAndAliceAsync();
        var bobUser = await Store.CreateUserAsync("bob", "bob@example.com", "hash", Now).Within();
        var bob = new MessageAuthor(bobUser!.Id, "bob");

        var joined = Store.Commit(
            [new AddMember(general, alice, alice, "owner"), new AddMember(general, alice, bob, "member"), new AddMember(general, alice, bob, "member")],
            Now);
        var mention = (Message)(Store.Commit([Post(general, alice, "hi @bob") with { Mentions = [bob.Id] }], Now))[0]!.Payload;
        var plain = PostOne(general, alice, "and again");
        var promoted = CommitOne(new SetMemberRole(general, alice, bob, "admin"));
        var slow = CommitOne(new SetSlowMode(general, alice, 30));
        var bobsOwn = PostOne(general, bob, "mine");
        // A moderator deletes someone else's message: no author to match.
        var removedByModerator = CommitOne(new DeleteMessage(general, bob, plain.Id) { AnyAuthor = true });

        Assert.Equal([1L, 2L], joined.Take(2).Select(c => c!.Payload.Seq));
        Assert.Null(joined[2]); // a member already: nothing, and no seq
        Assert.Equal((3L, 4L, 5L, 6L, 7L), (mention.Seq, plain.Seq, promoted!.Payload.Seq, slow!.Payload.Seq, bobsOwn.Seq));
        Assert.Equal(new MessageDeleted(8, plain.Id), removedByModerator!.Payload);
        Assert.Equal([bob.Id], mention.Mentions);
        var (members, banned, slowMode) = await Store.ReadRosterAsync(general.Id).Within();
        Assert.Equal([("alice", "owner"), ("bob", "admin")], members.OrderBy(m => m.User.Id).Select(m => (m.User.Username, m.Role)));
        Assert.Empty(banned);
        Assert.Equal(30, slowMode);

        // Bob joined at seq 2: alice's two messages came after, one mentioned him, and one was deleted since.
        var (lastSeq, counts) = await Store.ReadCountsAsync(general.Id).Within();
        Assert.Equal(8, lastSeq);
        Assert.Equal(
            [new ReadCounts(alice.Id, 0, 1, 0), new ReadCounts(bob.Id, 1, 1, 1)],
            counts.OrderBy(c => c.UserId));
        await Store.MarkReadAsync(general.Id, bob.Id, 100).Within();
        var (_, bobs) = await Store.ReadCountsAsync(general.Id, bob.Id).Within();
        Assert.Equal([new ReadCounts(bob.Id, 8, 0, 0)], bobs);

        var removed = Store.Commit([new RemoveMember(general, alice, bob, Ban: true), new RemoveMember(general, alice, bob, Ban: true)], Now);
        Assert.Equal(9, removed[0]!.Payload.Seq);
        Assert.Null(removed[1]);
        Assert.Null((Store.Commit([new AddMember(general, alice, bob, "member")], Now))[0]); // banned
        Assert.Equal([bob.Id], (await Store.ReadRosterAsync(general.Id).Within()).Banned);
        Assert.True(await Store.DeleteBanAsync(general.Id, bob.Id).Within());
        Assert.Equal(
            ["member_added", "member_added", "new_message", "new_message", "member_updated", "room_updated", "new_message", "message_deleted", "member_removed"],
            (await Store.ListEventsAfterAsync(general.Id, 0, 100).Within()).Events.Select(e => e.Event));
    }

    [Fact]
    public async Task A_repeated_post_with_mentions_adds_no_mention_to_its_original_or_to_a_newer_message()
    {
        var (general, alice) = await GeneralAndAliceAsync();
        var bobUser = await Store.CreateUserAsync("bob", "bob@example.com", "hash", Now).Within();
        var bob = new MessageAuthor(bobUser!.Id, "bob");
        Store.Commit([new AddMember(general, bob, bob, "member")], Now);
        var mentioning = Post(general, alice, "hi @bob", "k1") with { Mentions = [bob.Id] };

        // The retry comes while the original is the room's newest, then again after another message of alice's.
        var first = Store.Commit([mentioning, mentioning], Now);
        var other = PostOne(general, alice, "something else");
        var again = Store.Commit([mentioning], Now);

        Assert.Equal(2, ((Message)first[0]!.Payload).Seq);
        Assert.Null(first[1]);
        Assert.Null(again[0]);
        Assert.Equal(3, other.Seq);
        var (_, counts) = await Store.ReadCountsAsync(general.Id, bob.Id).Within();
        Assert.Equal([new ReadCounts(bob.Id, 0, 2, 1)], counts); // two unread, one of them mentions him: the first
    }
}

using System.Diagnostics;
using System.Text.Json;
using Confab.Channels.Client;
using Confab.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Confab.Tests.Client;

/// <summary>The client's channels against the real Confab app on Kestrel: joins, pushes and their replies, broadcasts, presence.</summary>
public sealed class PhoenixChannelTests
{
    [Fact]
    public async Task Joins_a_room_and_gets_a_refused_join_as_an_error_result()
    {
        await using var app = new ConfabFactory();
        var log = LogCapture.AddTo(app);
        var address = app.StartKestrel();
        await using var socket = ClientKit.Socket(address, ConfabFactory.TokenOf(await app.ClientForNewUserAsync("alice")));
        await socket.ConnectAsync().Within();
        Assert.True(socket.IsConnected);

        var room = socket.Channel("room:general");
        var joined = await room.JoinAsync().Within();

        Assert.True(joined.IsOk, joined.ToString());
        Assert.Equal(JsonValueKind.Array, joined.Response.GetProperty("messages").ValueKind);
        // Joining made alice a member: member_added is the room's first event.
        Assert.Equal(1, joined.Response.GetProperty("last_seq").GetInt64());
        Assert.Equal(PhoenixChannelState.Joined, room.State);

        var missing = socket.Channel("room:no-such-room");
        var refused = await missing.JoinAsync().Within();
        Assert.True(refused.IsError, refused.ToString());
        Assert.Equal("room not found", refused.Reason);
        Assert.Equal(PhoenixChannelState.Errored, missing.State); // and it would retry in 1 s, as phoenix.js: leave it
        Assert.True((await missing.LeaveAsync().Within()).IsOk);
        Assert.Equal(PhoenixChannelState.Closed, missing.State);
        Assert.Empty(log.Errors);
    }

    [Fact]
    public async Task A_push_is_replied_with_its_id_and_seq_and_the_other_member_gets_the_broadcast()
    {
        await using var app = new ConfabFactory();
        var address = app.StartKestrel();
        await using var alice = await Member.ConnectAsync(app, address, "alice");
        await using var bob = await Member.ConnectAsync(app, address, "bob");
        var bobSees = new Inbox<JsonElement>();
        using var subscription = bob.Room.On("new_message", bobSees.Add);
        await alice.JoinAsync();
        await bob.JoinAsync();

        var reply = await alice.Room.PushAsync("new_message", new NewMessage("hello bob", ClientId: "k1"), ClientTestJson.Default.NewMessage).Within();

        Assert.True(reply.IsOk, reply.ToString());
        var ack = reply.Deserialize(ClientTestJson.Default.MessageAck)!;
        Assert.True(ack.MessageId > 0);
        Assert.Equal(3, ack.Seq); // after alice's and bob's joins (member_added)
        var message = await bobSees.NextAsync();
        Assert.Equal(ack.MessageId, message.GetProperty("id").GetInt64());
        Assert.Equal(ack.Seq, message.GetProperty("seq").GetInt64());
        Assert.Equal("hello bob", message.GetProperty("content").GetString());
        Assert.Equal("alice", message.GetProperty("user").GetProperty("username").GetString());

        // A disposed handler hears nothing more.
        subscription.Dispose();
        Assert.True((await alice.Room.PushAsync("new_message", ClientKit.Content("unheard")).Within()).IsOk);
        Assert.True((await bob.Room.PushAsync("new_message", ClientKit.Content("a round trip after it")).Within()).IsOk);
        Assert.False(bobSees.TryTake(out _));
    }

    [Fact]
    public async Task A_refused_push_comes_back_as_an_error_result_with_the_servers_reason()
    {
        await using var app = new ConfabFactory();
        var address = app.StartKestrel();
        await using var alice = await Member.ConnectAsync(app, address, "alice");
        var room = alice.Room;
        await alice.JoinAsync();

        var blank = await room.PushAsync("new_message", ClientKit.Content("   ")).Within();
        Assert.True(blank.IsError, blank.ToString());
        Assert.Equal("content can't be blank", blank.Response.GetProperty("errors").GetProperty("content")[0].GetString());

        var unknown = await room.PushAsync("delete_message", JsonDocument.Parse("""{"message_id": 999}""").RootElement).Within();
        Assert.True(unknown.IsError, unknown.ToString());
        Assert.Equal("unknown message", unknown.Reason);
        Assert.Equal(PhoenixChannelState.Joined, room.State);
    }

    [Fact]
    public async Task A_push_the_server_never_replies_to_times_out_and_the_channel_goes_on()
    {
        await using var app = new ConfabFactory();
        var address = app.StartKestrel();
        await using var alice = await Member.ConnectAsync(app, address, "alice");
        await using var bob = await Member.ConnectAsync(app, address, "bob");
        var typing = new Inbox<JsonElement>();
        bob.Room.On("user_typing", typing.Add);
        await alice.JoinAsync();
        await bob.JoinAsync();

        // Confab never replies to "typing" (docs/protocol.md): the push reaches the server, and times out here.
        var started = Stopwatch.StartNew();
        var reply = await alice.Room.PushAsync("typing", JsonDocument.Parse("{}").RootElement, TimeSpan.FromMilliseconds(300)).Within();

        Assert.True(reply.IsTimeout, reply.ToString());
        Assert.True(started.Elapsed >= TimeSpan.FromMilliseconds(290), $"timed out after {started.Elapsed}");
        Assert.Equal("alice", (await typing.NextAsync()).GetProperty("username").GetString());
        Assert.True((await alice.Room.PushAsync("new_message", ClientKit.Content("still here")).Within()).IsOk);
        Assert.Equal(PhoenixChannelState.Joined, alice.Room.State);
    }

    [Fact]
    public async Task Presence_shows_the_second_member_with_their_metas_and_drops_them_when_they_leave()
    {
        await using var app = new ConfabFactory();
        var address = app.StartKestrel();
        await using var alice = await Member.ConnectAsync(app, address, "alice");
        await using var bob = await Member.ConnectAsync(app, address, "bob");
        var bobId = (await ClientKit.UserIdAsync(bob.Api)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var presence = new PhoenixPresence(alice.Room);
        var joins = new Inbox<string>();
        var leaves = new Inbox<(string Key, int Remaining)>();
        presence.Joined += (key, _, _) => joins.Add(key);
        presence.Left += (key, remaining, _) => leaves.Add((key, remaining.Metas.Count));
        await alice.JoinAsync();
        await ClientKit.Eventually(() => presence.List().Count == 1, "alice to see herself");

        await bob.JoinAsync();
        await ClientKit.Eventually(() => presence.List().Count == 2, "alice to see bob");

        var names = presence.List((key, entry) => entry.Metas[0].GetProperty("username").GetString());
        Assert.Equal(["alice", "bob"], names);
        var bobEntry = presence.List().Single(e => e.Key == bobId);
        Assert.Single(bobEntry.Metas);
        Assert.False(string.IsNullOrEmpty(bobEntry.Metas[0].GetProperty("phx_ref").GetString()));
        // alice first (from the state pushed after her join, and again from the diff of her own join, as phoenix.js reports it), then bob.
        Assert.NotEqual(bobId, await joins.NextAsync());
        string key;
        do
        {
            key = await joins.NextAsync();
        }
        while (key != bobId);

        Assert.True((await bob.Room.LeaveAsync().Within()).IsOk);
        Assert.Equal((bobId, 0), await leaves.NextAsync());
        Assert.Equal(["alice"], presence.List((_, entry) => entry.Metas[0].GetProperty("username").GetString()));
    }

    [Fact]
    public async Task A_user_on_two_devices_is_one_presence_key_with_two_metas_until_one_leaves()
    {
        await using var app = new ConfabFactory();
        var address = app.StartKestrel();
        await using var bob = await Member.ConnectAsync(app, address, "bob");
        await using var alicePhone = await Member.ConnectAsync(app, address, "alice");
        await using var aliceLaptop = ClientKit.Socket(address, ConfabFactory.TokenOf(alicePhone.Api));
        await aliceLaptop.ConnectAsync().Within();
        var aliceId = (await ClientKit.UserIdAsync(alicePhone.Api)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var presence = new PhoenixPresence(bob.Room);
        var leaves = new Inbox<(string Key, int Remaining, int Left)>();
        presence.Left += (key, remaining, left) => leaves.Add((key, remaining.Metas.Count, left.Metas.Count));
        await bob.JoinAsync();
        await alicePhone.JoinAsync();
        var laptopRoom = aliceLaptop.Channel("room:general");
        Assert.True((await laptopRoom.JoinAsync().Within()).IsOk);

        await ClientKit.Eventually(() => presence.List().SingleOrDefault(e => e.Key == aliceId)?.Metas.Count == 2, "alice's two metas");
        var refs = presence.List().Single(e => e.Key == aliceId).Metas.Select(m => m.GetProperty("phx_ref").GetString()).ToList();
        Assert.Equal(2, refs.Distinct().Count());

        Assert.True((await laptopRoom.LeaveAsync().Within()).IsOk);
        Assert.Equal((aliceId, 1, 1), await leaves.NextAsync());
        var remaining = Assert.Single(presence.List().Single(e => e.Key == aliceId).Metas);
        Assert.Equal(refs[0], remaining.GetProperty("phx_ref").GetString()); // the phone's, joined first
        Assert.Equal(2, presence.List().Count);
    }

    [Fact(Timeout = 30_000)] // a fake clock: a lost frame would leave the socket's close waiting for the clock
    public async Task A_join_that_times_out_is_left_and_retried_and_the_late_frames_of_the_old_join_are_ignored()
    {
        await using var app = new ConfabFactory();
        var address = app.StartKestrel();
        await using var network = new TcpRelay(address);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var socket = ClientKit.Socket(network.Address, ConfabFactory.TokenOf(await app.ClientForNewUserAsync("alice")), new PhoenixSocketOptions { TimeProvider = clock });
        await socket.ConnectAsync().Within();
        var room = socket.Channel("room:general");
        var joinReplies = new Inbox<PhoenixReply>();
        var closed = 0;
        room.JoinReplied += joinReplies.Add;
        room.Closed += () => Interlocked.Increment(ref closed);

        // The server's answers are held: the join times out (the client then leaves that join), and rejoins 1 s later.
        network.HoldReplies();
        var firstJoin = room.JoinAsync();
        var timedOutRef = room.JoinRef;
        clock.Advance(socket.Options.Timeout);
        Assert.True((await firstJoin.Within()).IsTimeout);
        Assert.Equal(PhoenixChannelState.Errored, room.State);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(PhoenixChannelState.Joining, room.State);
        Assert.NotEqual(timedOutRef, room.JoinRef);

        // Now everything arrives in order: the old join's ok, its presence, its leave's reply and phx_close (all with the
        // old join_ref, so ignored), then the new join's ok.
        network.Release();
        Assert.True((await joinReplies.NextAsync()).IsTimeout);
        Assert.True((await joinReplies.NextAsync()).IsOk);
        Assert.Equal(PhoenixChannelState.Joined, room.State);
        Assert.Equal(0, closed);
        Assert.True((await room.PushAsync("new_message", ClientKit.Content("joined once")).Within()).IsOk);
    }
}

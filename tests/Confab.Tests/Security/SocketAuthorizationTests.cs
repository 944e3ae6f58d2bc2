using System.Net;
using System.Text.Json;
using Confab.Rooms;
using Confab.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Confab.Tests.Security;

/// <summary>What a socket may do: see the rooms its user may see, act only as its token's user, and nothing once the token expires.</summary>
public sealed class SocketAuthorizationTests
{
    [Fact]
    public async Task At_the_tokens_expiry_every_joined_channel_is_told_why_and_closed()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = new ConfabFactory(
            new()
            {
                ["Confab:Auth:TokenLifetime"] = "01:00:00",
                ["Channels:IdleTimeout"] = "1.00:00:00", // the fake clock jumps an hour: keep the idle timeout out of the way
            },
            time: clock);
        var address = app.StartKestrel();
        var token = ConfabFactory.TokenOf(await app.ClientForNewUserAsync("alice"));
        await using var socket = await SocketClient.ConnectAsync(address, token);
        Assert.Equal("ok", (await socket.JoinAsync("room:general")).GetProperty("status").GetString());
        Assert.Equal("ok", (await socket.JoinAsync("room:random")).GetProperty("status").GetString());

        clock.Advance(TimeSpan.FromMinutes(59));
        Assert.Equal("ok", (await socket.RequestAsync("room:general", "new_message", """{"content":"still valid"}""")).GetProperty("status").GetString());
        clock.Advance(TimeSpan.FromMinutes(1));

        // Both channels' timers fire at once, so their frames interleave: collect until both are closed.
        var seen = new List<(string Topic, string Event, JsonElement Payload)>();
        while (seen.Count(f => f.Event == "phx_close") < 2)
        {
            var frame = await socket.ReceiveMessageAsync(m => m[3].GetString() is "token_expired" or "phx_close");
            seen.Add((frame[2].GetString()!, frame[3].GetString()!, frame[4]));
        }

        foreach (var topic in new[] { "room:general", "room:random" })
        {
            var mine = seen.Where(f => f.Topic == topic).ToList();
            Assert.Equal(["token_expired", "phx_close"], mine.Select(f => f.Event));
            Assert.Equal("token expired", mine[0].Payload.GetProperty("reason").GetString());
        }

        var refused = await socket.RequestAsync("room:general", "new_message", """{"content":"after expiry"}""");
        Assert.Equal("error", refused.GetProperty("status").GetString());
        Assert.Equal("unauthorized", (await socket.JoinAsync("room:general")).GetProperty("response").GetProperty("reason").GetString());
        // The socket itself stays up (heartbeats answered) so the client can reconnect with a fresh token when it likes.
        Assert.Equal("ok", (await socket.RequestAsync("phoenix", "heartbeat", "{}")).GetProperty("status").GetString());
        var history = await (await app.ClientForNewUserAsync("reader")).GetJsonAsync("/api/rooms/general/messages");
        Assert.Equal(["still valid"], history.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("content").GetString()));
    }

    [Fact]
    public async Task User_ids_supplied_by_the_client_are_ignored()
    {
        await using var app = new ConfabFactory();
        var address = app.StartKestrel();
        var alice = await app.ClientForNewUserAsync("alice");
        var bob = await app.ClientForNewUserAsync("bob");
        const string Forged = """{"content":"%","user_id":2,"user":{"id":2,"username":"bob"},"id":1,"seq":99}""";

        await using var forged = await SocketClient.ConnectAsync(address, ConfabFactory.TokenOf(alice), moreParams: "user_id=2&user=bob&sub=2");
        await forged.JoinAsync("room:general");
        var ack = await forged.RequestAsync("room:general", "new_message", Forged.Replace("%", "by socket", StringComparison.Ordinal));
        Assert.Equal("ok", ack.GetProperty("status").GetString());
        await alice.PostJsonAsync("/api/rooms/general/messages", JsonDocument.Parse(Forged.Replace("%", "by REST", StringComparison.Ordinal)).RootElement, HttpStatusCode.Created);

        var messages = (await bob.GetJsonAsync("/api/rooms/general/messages")).GetProperty("messages").EnumerateArray().ToList();
        Assert.Equal(["by socket", "by REST"], messages.Select(m => m.GetProperty("content").GetString()));
        Assert.All(messages, m => Assert.Equal("alice", m.GetProperty("user").GetProperty("username").GetString()));
        // Seq 1 is alice joining (member_added): the forged "seq" is ignored too.
        Assert.Equal([2L, 3L], messages.Select(m => m.GetProperty("seq").GetInt64()));
    }

    [Fact]
    public async Task Every_signed_in_user_may_see_every_public_room_and_the_rule_lives_in_one_place()
    {
        await using var app = new ConfabFactory();
        var address = app.StartKestrel();
        var alice = await app.ClientForNewUserAsync("alice");
        var bob = await app.ClientForNewUserAsync("bob");
        await alice.PostJsonAsync("/api/rooms", new { name = "Alice's Room" }, HttpStatusCode.Created);

        var slugs = (await bob.GetJsonAsync("/api/rooms")).EnumerateArray().Select(r => r.GetProperty("slug").GetString()!).ToList();
        Assert.Equal(["alice-s-room", "general", "random", "tech-talk"], slugs.Order());
        await using var socket = await SocketClient.ConnectAsync(address, ConfabFactory.TokenOf(bob));
        foreach (var slug in slugs)
        {
            Assert.Equal("ok", (await socket.JoinAsync($"room:{slug}")).GetProperty("status").GetString());
        }

        var missing = await socket.JoinAsync("room:no-such-room");
        Assert.Equal("room not found", missing.GetProperty("response").GetProperty("reason").GetString());
        var room = (await app.Services.GetRequiredService<RoomDirectory>().GetAsync("general"))!;
        var roster = await app.Services.GetRequiredService<RoomMembers>().GetAsync(room.Id);
        Assert.True(RoomDirectory.MaySee(room, roster, 2, serverAdmin: false));
        Assert.False(RoomDirectory.MaySee(room, roster, 0, serverAdmin: false));
    }
}

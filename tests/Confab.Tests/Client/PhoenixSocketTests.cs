using System.Text.Json;
using Confab.Channels.Client;
using Confab.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using ServerChannels = Confab.Channels;

namespace Confab.Tests.Client;

/// <summary>
/// The client's socket against the real Confab app on Kestrel: refusal, reconnect and rejoin, heartbeats. Where waits
/// matter, the client's time is a fake clock moved by the test (sockets and the server stay real), so they are exact.
/// </summary>
public sealed class PhoenixSocketTests
{
    [Fact(Timeout = 30_000)]
    public async Task A_bad_token_fails_the_connect_with_the_servers_403_and_retries_on_phoenix_js_waits()
    {
        await using var app = new ConfabFactory();
        var address = app.StartKestrel();
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var attempts = 0;
        var errors = new Inbox<Exception>();
        await using var socket = new PhoenixSocket(
            new Uri($"ws://{address.Authority}/socket"),
            () =>
            {
                Interlocked.Increment(ref attempts);
                return new Dictionary<string, string> { ["token"] = "not-a-token" };
            },
            new PhoenixSocketOptions { TimeProvider = clock });
        socket.Error += errors.Add;

        var refused = await Assert.ThrowsAsync<PhoenixConnectionException>(() => socket.ConnectAsync()).Within();

        Assert.Equal(403, refused.HttpStatusCode);
        Assert.Contains("HTTP 403", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Retrying in 10 ms", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-a-token", refused.Message, StringComparison.Ordinal);
        Assert.Same(refused, await errors.NextAsync());
        Assert.Equal(PhoenixSocketState.Closed, socket.State);

        // No storm: nothing more until the clock reaches each wait; then exactly one attempt, refused again.
        await Task.Delay(300);
        Assert.Equal(1, attempts);
        foreach (var (wait, attempt) in new[] { (10, 2), (50, 3), (100, 4), (150, 5) })
        {
            clock.Advance(TimeSpan.FromMilliseconds(wait - 1));
            Assert.Equal(attempt - 1, attempts);
            clock.Advance(TimeSpan.FromMilliseconds(1));
            Assert.Equal(attempt, attempts);
            Assert.Equal(403, Assert.IsType<PhoenixConnectionException>(await errors.NextAsync()).HttpStatusCode);
        }

        await socket.DisconnectAsync().Within();
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(5, attempts);
    }

    [Fact(Timeout = 30_000)]
    public async Task After_the_server_drops_the_socket_it_reconnects_rejoins_with_a_fresh_last_seq_gets_what_it_missed_and_sends_what_waited()
    {
        await using var app = new ConfabFactory();
        var log = LogCapture.AddTo(app);
        var address = app.StartKestrel();
        // Members already (seqs 1 and 2), so that what happens next is seqs 3, 4 and 5.
        var aliceClient = await app.ClientForNewMemberAsync("alice", "general");
        var bobClient = await app.ClientForNewMemberAsync("bob", "general");
        var aliceId = await ClientKit.UserIdAsync(aliceClient);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var socket = ClientKit.Socket(address, ConfabFactory.TokenOf(aliceClient), new PhoenixSocketOptions { TimeProvider = clock });
        var opened = 0;
        var closes = new Inbox<PhoenixSocketClosed>();
        socket.Opened += () => Interlocked.Increment(ref opened);
        socket.Closed += closes.Add;

        // The client keeps the highest seq it has applied and rejoins with it, as docs/protocol.md asks.
        long applied = 0;
        var sentLastSeqs = new List<long?>();
        var room = socket.Channel("room:general", writer =>
        {
            var lastSeq = Interlocked.Read(ref applied);
            sentLastSeqs.Add(lastSeq > 0 ? lastSeq : null);
            writer.WriteStartObject();
            if (lastSeq > 0)
            {
                writer.WriteNumber("last_seq", lastSeq);
            }

            writer.WriteEndObject();
        });
        room.On("new_message", message => Apply(message.GetProperty("seq").GetInt64()));
        var joinReplies = new Inbox<PhoenixReply>();
        room.JoinReplied += joinReplies.Add;
        await socket.ConnectAsync().Within();
        Assert.True((await room.JoinAsync().Within()).IsOk);
        Assert.True((await joinReplies.NextAsync()).IsOk);
        Assert.True((await room.PushAsync("new_message", ClientKit.Content("before")).Within()).IsOk);
        await ClientKit.Eventually(() => Interlocked.Read(ref applied) == 3, "alice to get her own message");

        // Confab.Channels closes every socket of a socket id on a "disconnect" broadcast (1001, as Phoenix).
        var pubSub = app.Services.GetRequiredService<ServerChannels.IPubSub>();
        await pubSub.BroadcastAsync(new ServerChannels.Broadcast($"user_socket:{aliceId}", "disconnect", ServerChannels.JsonPayload.Empty));
        var closed = await closes.NextAsync();
        Assert.Equal(1001, closed.Status);
        Assert.True(closed.WillReconnect);
        Assert.Equal(PhoenixChannelState.Errored, room.State);

        // While it is away (its clock stands still, so it cannot be back yet) bob posts, and alice pushes: hers waits.
        var missed = await bobClient.PostJsonAsync("/api/rooms/general/messages", new { content = "while you were away" }, System.Net.HttpStatusCode.Created);
        var waiting = room.PushAsync("new_message", ClientKit.Content("written while away"));
        Assert.Equal(PhoenixSocketState.Closed, socket.State);
        Assert.False(waiting.IsCompleted);
        clock.Advance(TimeSpan.FromMilliseconds(9));
        Assert.Equal(1, opened);
        clock.Advance(TimeSpan.FromMilliseconds(1)); // the first wait of phoenix.js's backoff

        var rejoined = await joinReplies.NextAsync();
        Assert.True(rejoined.IsOk, rejoined.ToString());
        Assert.Equal(2, opened);
        Assert.Equal([null, 3L], sentLastSeqs);
        var events = rejoined.Response.GetProperty("events").EnumerateArray().ToList();
        var missedEvent = Assert.Single(events);
        Assert.Equal("new_message", missedEvent.GetProperty("event").GetString());
        Assert.Equal(missed.GetProperty("id").GetInt64(), missedEvent.GetProperty("payload").GetProperty("id").GetInt64());
        Assert.Equal("while you were away", missedEvent.GetProperty("payload").GetProperty("content").GetString());
        Assert.Equal(4, rejoined.Response.GetProperty("last_seq").GetInt64());
        Assert.Equal(PhoenixChannelState.Joined, room.State);
        var sentOnRejoin = await waiting.Within();
        Assert.True(sentOnRejoin.IsOk, sentOnRejoin.ToString());
        Assert.Equal(5, sentOnRejoin.Response.GetProperty("seq").GetInt64());
        Assert.Empty(log.Errors);

        void Apply(long seq)
        {
            long seen;
            while (seq > (seen = Interlocked.Read(ref applied)) && Interlocked.CompareExchange(ref applied, seq, seen) != seen)
            {
            }
        }
    }

    [Fact(Timeout = 30_000)]
    public async Task Heartbeats_keep_the_socket_open_and_one_without_a_reply_closes_and_reconnects_it()
    {
        await using var app = new ConfabFactory();
        var address = app.StartKestrel();
        await using var network = new TcpRelay(address);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var socket = ClientKit.Socket(
            network.Address, ConfabFactory.TokenOf(await app.ClientForNewUserAsync("alice")),
            new PhoenixSocketOptions { TimeProvider = clock, HeartbeatInterval = TimeSpan.FromSeconds(1) });
        var heartbeatReplies = new Inbox<PhoenixMessage>();
        var closes = new Inbox<PhoenixSocketClosed>();
        var opens = new Inbox<bool>();
        socket.MessageReceived += message =>
        {
            if (message.Topic == "phoenix")
            {
                heartbeatReplies.Add(message);
            }
        };
        socket.Closed += closes.Add;
        socket.Opened += () => opens.Add(true);
        await socket.ConnectAsync().Within();
        await opens.NextAsync();
        var room = socket.Channel("room:general");
        var joinReplies = new Inbox<PhoenixReply>();
        room.JoinReplied += joinReplies.Add;
        await room.JoinAsync().Within();

        for (var i = 0; i < 3; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            var reply = await heartbeatReplies.NextAsync();
            Assert.Equal(("phx_reply", "ok"), (reply.Event, reply.Payload.GetProperty("status").GetString()));
        }

        Assert.True(socket.IsConnected);
        Assert.False(closes.TryTake(out _));
        Assert.Equal(PhoenixChannelState.Joined, room.State);

        // The network stalls: the next heartbeat gets no reply within the interval.
        network.HoldReplies();
        clock.Advance(TimeSpan.FromSeconds(1));
        clock.Advance(TimeSpan.FromSeconds(1));
        var closed = await closes.NextAsync();
        Assert.Equal((1000, "heartbeat timeout", true), (closed.Status, closed.Reason, closed.WillReconnect));
        Assert.Equal(PhoenixChannelState.Errored, room.State);

        network.Release();
        clock.Advance(TimeSpan.FromMilliseconds(10));
        await opens.NextAsync();
        Assert.True((await joinReplies.NextAsync()).IsOk); // the first join's reply
        Assert.True((await joinReplies.NextAsync()).IsOk); // the rejoin's
        Assert.Equal(PhoenixChannelState.Joined, room.State);
    }
}

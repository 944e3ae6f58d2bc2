using Confab.Channels.Tests.Infrastructure;

namespace Confab.Channels.Tests;

/// <summary>
/// The message table (PHOENIX_PROTOCOL 2.2) and the dispatch rules (2.3), frame by frame, with the exact bytes the
/// server sends.
/// </summary>
public sealed class DispatchTests
{
    [Fact]
    public async Task Heartbeat_is_answered_ok_with_null_join_ref_even_without_channels()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();

        await client.SendAsync("""[null,"7","phoenix","heartbeat",{}]""");

        Assert.Equal("""[null,"7","phoenix","phx_reply",{"status":"ok","response":{}}]""", (await client.ReceiveAsync()).Raw);
    }

    [Fact]
    public async Task Join_ok_reply_echoes_refs_and_carries_the_response()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync("token=good&user=alice&vsn=2.0.0");

        await client.SendAsync("""["3","3","echo:lobby","phx_join",{"user":"alice","attempt":1}]""");

        Assert.Equal("""["3","3","echo:lobby","phx_reply",{"status":"ok","response":{"user":"alice","attempt":1}}]""", (await client.ReceiveAsync()).Raw);
        await server.Probe.WaitForAsync("join echo:lobby 3 assigns=alice");
    }

    [Fact]
    public async Task Exact_route_matches_only_its_topic()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();

        await client.JoinOkAsync("lobby", "3");
        await client.SendAsync("""["4","4","lobby:1","phx_join",{}]""");

        Assert.Equal("""[null,"4","lobby:1","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]""", (await client.ReceiveAsync()).Raw);
    }

    [Fact]
    public async Task Join_without_route_is_unmatched_topic_with_null_join_ref()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();

        await client.SendAsync("""["3","3","nope:1","phx_join",{}]""");

        Assert.Equal("""[null,"3","nope:1","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]""", (await client.ReceiveAsync()).Raw);
        Assert.Contains(server.Logs.Entries, e => e.EventId.Id == 6 && e.Level == Microsoft.Extensions.Logging.LogLevel.Warning);
    }

    [Fact]
    public async Task Join_error_registers_nothing_and_sends_no_phx_close()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();

        await client.SendAsync("""["3","3","denied:1","phx_join",{}]""");

        Assert.Equal("""["3","3","denied:1","phx_reply",{"status":"error","response":{"reason":"unauthorized"}}]""", (await client.ReceiveAsync()).Raw);
        await client.ExpectNothingAsync();
        await client.SendAsync("""["3","4","denied:1","new_msg",{}]""");
        Assert.Equal("""[null,"4","denied:1","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]""", (await client.ReceiveAsync()).Raw);
    }

    [Fact]
    public async Task Join_that_throws_is_answered_join_crashed_and_the_socket_lives_on()
    {
        await using var server = await TestServer.StartAsync();
        server.AllowErrorLog(8);
        await using var client = await server.ConnectAsync();

        await client.SendAsync("""["3","3","crash_join:1","phx_join",{}]""");

        Assert.Equal("""["3","3","crash_join:1","phx_reply",{"status":"error","response":{"reason":"join crashed"}}]""", (await client.ReceiveAsync()).Raw);
        await client.HeartbeatAsync("4");
        Assert.Equal(1, server.Logs.Count(8));
    }

    [Fact]
    public async Task Push_is_handled_and_replied_with_the_channels_join_ref()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.JoinOkAsync("echo:lobby", "3");

        await client.SendAsync("""["3","6","echo:lobby","new_msg",{"body":"hello"}]""");
        Assert.Equal("""["3","6","echo:lobby","phx_reply",{"status":"ok","response":{"body":"hello"}}]""", (await client.ReceiveAsync()).Raw);

        // A null join_ref is accepted (rule 6); the reply still carries the channel's join_ref.
        await client.SendAsync("""[null,"7","echo:lobby","new_msg",{"body":"again"}]""");
        Assert.Equal("""["3","7","echo:lobby","phx_reply",{"status":"ok","response":{"body":"again"}}]""", (await client.ReceiveAsync()).Raw);
    }

    [Fact]
    public async Task Refs_are_echoed_as_the_exact_strings_received()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.JoinOkAsync("echo:lobby", "003");

        await client.SendAsync("""["003","0x1f","echo:lobby","new_msg",{}]""");

        Assert.Equal("""["003","0x1f","echo:lobby","phx_reply",{"status":"ok","response":{}}]""", (await client.ReceiveAsync()).Raw);
    }

    [Fact]
    public async Task Any_reply_status_and_no_reply_are_possible()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.JoinOkAsync("echo:lobby", "3");

        await client.SendAsync("""["3","5","echo:lobby","noreply",{}]""");
        await client.SendAsync("""["3","6","echo:lobby","custom",{"x":1}]""");

        Assert.Equal("""["3","6","echo:lobby","phx_reply",{"status":"custom","response":{"x":1}}]""", (await client.ReceiveAsync()).Raw);
        await client.ExpectNothingAsync();
    }

    [Fact]
    public async Task Server_push_carries_join_ref_and_null_ref()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.JoinOkAsync("echo:lobby", "3");

        await client.SendAsync("""["3","6","echo:lobby","push",{"n":1}]""");

        Assert.Equal("""["3",null,"echo:lobby","server_push",{"n":1}]""", (await client.ReceiveAsync()).Raw);
    }

    [Fact]
    public async Task Push_with_stale_join_ref_is_dropped()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.JoinOkAsync("echo:lobby", "3");

        await client.SendAsync("""["2","6","echo:lobby","new_msg",{}]""");

        await client.HeartbeatAsync("7");
    }

    [Theory]
    [InlineData("null")]
    [InlineData("\"5\"")]
    public async Task Push_to_a_topic_not_joined_is_unmatched_topic_with_null_join_ref(string joinRef)
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();

        await client.SendAsync($$"""[{{joinRef}},"3","nope:1","new_msg",{}]""");

        Assert.Equal("""[null,"3","nope:1","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]""", (await client.ReceiveAsync()).Raw);
    }

    [Theory]
    [InlineData("\"3\"")]
    [InlineData("null")]
    public async Task Leave_replies_ok_then_phx_close_and_terminates(string joinRef)
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.JoinOkAsync("echo:lobby", "3");

        await client.SendAsync($$"""[{{joinRef}},"9","echo:lobby","phx_leave",{}]""");

        Assert.Equal("""["3","9","echo:lobby","phx_reply",{"status":"ok","response":{}}]""", (await client.ReceiveAsync()).Raw);
        Assert.Equal("""["3","3","echo:lobby","phx_close",{}]""", (await client.ReceiveAsync()).Raw);
        await server.Probe.WaitForAsync("terminate echo:lobby 3 Leave");
        await server.Probe.WaitForAsync("dispose echo:lobby 3");
        await client.SendAsync("""["3","10","echo:lobby","new_msg",{}]""");
        Assert.Equal("""[null,"10","echo:lobby","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]""", (await client.ReceiveAsync()).Raw);
    }

    [Fact]
    public async Task TerminateAsync_that_throws_is_logged_and_cleanup_goes_on()
    {
        await using var server = await TestServer.StartAsync();
        server.AllowErrorLog(10);
        await using var client = await server.ConnectAsync();
        await client.JoinOkAsync("echo:lobby", "3", """{"terminate_boom":true}""");

        await client.SendAsync("""["3","9","echo:lobby","phx_leave",{}]""");

        Assert.Equal("phx_reply", (await client.ReceiveAsync()).Event);
        Assert.Equal("""["3","3","echo:lobby","phx_close",{}]""", (await client.ReceiveAsync()).Raw);
        await server.Probe.WaitForAsync("dispose echo:lobby 3");
        Assert.Equal(1, server.Logs.Count(10));
        await client.HeartbeatAsync("10");
    }

    [Fact]
    public async Task Leave_with_stale_join_ref_is_ignored()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.JoinOkAsync("echo:lobby", "3");

        await client.SendAsync("""["1","9","echo:lobby","phx_leave",{}]""");
        await client.SendAsync("""["3","10","echo:lobby","new_msg",{"still":"joined"}]""");

        Assert.Equal("""["3","10","echo:lobby","phx_reply",{"status":"ok","response":{"still":"joined"}}]""", (await client.ReceiveAsync()).Raw);
    }

    [Theory]
    [InlineData("\"5\"", "\"5\"")]
    [InlineData("null", "null")]
    public async Task Leave_for_a_topic_not_joined_is_ok_echoing_join_ref(string sent, string echoed)
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();

        await client.SendAsync($$"""[{{sent}},"9","echo:7","phx_leave",{}]""");

        Assert.Equal($$$"""[{{{echoed}}},"9","echo:7","phx_reply",{"status":"ok","response":{}}]""", (await client.ReceiveAsync()).Raw);
        await client.ExpectNothingAsync();
    }

    [Fact]
    public async Task Duplicate_join_replaces_the_channel_then_closes_the_old_join_ref()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.JoinOkAsync("echo:dup", "3");

        await client.SendAsync("""["7","7","echo:dup","phx_join",{"who":2}]""");

        Assert.Equal("""["7","7","echo:dup","phx_reply",{"status":"ok","response":{"who":2}}]""", (await client.ReceiveAsync()).Raw);
        Assert.Equal("""["3","3","echo:dup","phx_close",{}]""", (await client.ReceiveAsync()).Raw);
        await server.Probe.WaitForAsync("terminate echo:dup 3 DuplicateJoin");

        await client.SendAsync("""["3","8","echo:dup","new_msg",{}]""");
        await client.SendAsync("""["7","9","echo:dup","new_msg",{}]""");
        Assert.Equal("""["7","9","echo:dup","phx_reply",{"status":"ok","response":{}}]""", (await client.ReceiveAsync()).Raw);
    }

    [Fact]
    public async Task Throwing_handler_crashes_only_its_channel()
    {
        await using var server = await TestServer.StartAsync();
        server.AllowErrorLog(9);
        await using var client = await server.ConnectAsync();
        await client.JoinOkAsync("echo:crash", "9");
        await client.JoinOkAsync("echo:other", "10");

        await client.SendAsync("""["9","11","echo:crash","boom",{}]""");

        Assert.Equal("""["9","9","echo:crash","phx_error",{"reason":"channel_crash"}]""", (await client.ReceiveAsync()).Raw);
        await server.Probe.WaitForAsync("terminate echo:crash 9 Crash");
        await client.HeartbeatAsync("12");
        await client.SendAsync("""["10","13","echo:other","new_msg",{}]""");
        Assert.Equal("""["10","13","echo:other","phx_reply",{"status":"ok","response":{}}]""", (await client.ReceiveAsync()).Raw);
        await client.SendAsync("""["9","14","echo:crash","new_msg",{}]""");
        Assert.Equal("""[null,"14","echo:crash","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]""", (await client.ReceiveAsync()).Raw);
        Assert.Equal(1, server.Logs.Count(9));
        Assert.Equal(1, server.Metrics.ChannelCrashes);
    }

    [Fact]
    public async Task Crashed_channel_can_be_joined_again()
    {
        await using var server = await TestServer.StartAsync();
        server.AllowErrorLog(9);
        await using var client = await server.ConnectAsync();
        await client.JoinOkAsync("echo:crash", "3");
        await client.SendAsync("""["3","4","echo:crash","boom",{}]""");
        Assert.Equal("phx_error", (await client.ReceiveAsync()).Event);

        await client.JoinOkAsync("echo:crash", "5");
        await client.SendAsync("""["5","6","echo:crash","new_msg",{}]""");

        Assert.Equal("""["5","6","echo:crash","phx_reply",{"status":"ok","response":{}}]""", (await client.ReceiveAsync()).Raw);
    }

    [Fact]
    public async Task AfterJoin_that_throws_crashes_the_channel_after_the_ok_reply()
    {
        await using var server = await TestServer.StartAsync();
        server.AllowErrorLog(9);
        await using var client = await server.ConnectAsync();

        await client.SendAsync("""["3","3","echo:aj","phx_join",{"after_join_boom":true}]""");

        Assert.Equal("""["3","3","echo:aj","phx_reply",{"status":"ok","response":{"after_join_boom":true}}]""", (await client.ReceiveAsync()).Raw);
        Assert.Equal("""["3","3","echo:aj","phx_error",{"reason":"channel_crash"}]""", (await client.ReceiveAsync()).Raw);
        await server.Probe.WaitForAsync("terminate echo:aj 3 Crash");
        await client.HeartbeatAsync("4");
    }

    [Fact]
    public async Task Server_side_stop_sends_the_reply_then_phx_close()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.JoinOkAsync("echo:close", "15");

        await client.SendAsync("""["15","16","echo:close","stop",{}]""");

        Assert.Equal("""["15","16","echo:close","phx_reply",{"status":"ok","response":{"stopping":true}}]""", (await client.ReceiveAsync()).Raw);
        Assert.Equal("""["15","15","echo:close","phx_close",{}]""", (await client.ReceiveAsync()).Raw);
        await server.Probe.WaitForAsync("terminate echo:close 15 Stopped");
        await client.SendAsync("""["15","17","echo:close","new_msg",{}]""");
        Assert.Equal("error", (await client.ReceiveAsync()).Status);
    }

    [Fact]
    public async Task The_101st_channel_is_refused_with_too_many_channels_joined()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        for (int i = 1; i <= 100; i++)
        {
            await client.JoinOkAsync($"echo:{i}", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        await client.SendAsync("""["101","101","echo:101","phx_join",{}]""");
        Assert.Equal("""["101","101","echo:101","phx_reply",{"status":"error","response":{"reason":"too many channels joined"}}]""", (await client.ReceiveAsync()).Raw);

        // Rejoining a joined topic is not a new channel, and leaving frees a place.
        await client.JoinOkAsync("echo:1", "102");
        Assert.Equal("""["1","1","echo:1","phx_close",{}]""", (await client.ReceiveAsync()).Raw);
        await client.SendAsync("""["2","103","echo:2","phx_leave",{}]""");
        Assert.Equal("phx_reply", (await client.ReceiveAsync()).Event);
        Assert.Equal("phx_close", (await client.ReceiveAsync()).Event);
        await client.JoinOkAsync("echo:101", "104");
    }

    [Fact]
    public async Task Broadcast_reaches_every_subscriber_including_the_sender()
    {
        await using var server = await TestServer.StartAsync();
        await using var alice = await server.ConnectAsync();
        await using var bob = await server.ConnectAsync();
        await alice.JoinOkAsync("echo:room", "3");
        await bob.JoinOkAsync("echo:room", "5");

        await alice.SendAsync("""["3","4","echo:room","broadcast",{"body":"hi"}]""");

        const string expected = """[null,null,"echo:room","shout",{"body":"hi"}]""";
        Assert.Equal(expected, (await alice.ReceiveAsync()).Raw);
        Assert.Equal("""["3","4","echo:room","phx_reply",{"status":"ok","response":{}}]""", (await alice.ReceiveAsync()).Raw);
        Assert.Equal(expected, (await bob.ReceiveAsync()).Raw);
    }

    [Fact]
    public async Task Broadcast_from_skips_the_sending_channel()
    {
        await using var server = await TestServer.StartAsync();
        await using var alice = await server.ConnectAsync();
        await using var bob = await server.ConnectAsync();
        await alice.JoinOkAsync("echo:room", "3");
        await bob.JoinOkAsync("echo:room", "5");

        await alice.SendAsync("""["3","4","echo:room","broadcast_from",{"body":"hi"}]""");

        Assert.Equal("""[null,null,"echo:room","shout",{"body":"hi"}]""", (await bob.ReceiveAsync()).Raw);
        Assert.Equal("""["3","4","echo:room","phx_reply",{"status":"ok","response":{}}]""", (await alice.ReceiveAsync()).Raw);
        await alice.ExpectNothingAsync();
    }

    [Fact]
    public async Task Left_channel_no_longer_receives_broadcasts()
    {
        await using var server = await TestServer.StartAsync();
        await using var alice = await server.ConnectAsync();
        await alice.JoinOkAsync("echo:room", "3");
        await alice.SendAsync("""["3","4","echo:room","phx_leave",{}]""");
        Assert.Equal("phx_reply", (await alice.ReceiveAsync()).Event);
        Assert.Equal("phx_close", (await alice.ReceiveAsync()).Event);

        await server.PubSub.BroadcastAsync(new Broadcast("echo:room", "shout", JsonPayload.Empty));

        await alice.ExpectNothingAsync();
    }

    [Fact]
    public async Task Disconnect_broadcast_on_the_socket_id_closes_the_socket_with_1001()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync("token=good&id=user_socket:42&vsn=2.0.0");
        await using var other = await server.ConnectAsync("token=good&id=user_socket:43&vsn=2.0.0");
        await client.JoinOkAsync("echo:room", "3");

        await server.PubSub.BroadcastAsync(new Broadcast("user_socket:42", "disconnect", JsonPayload.Empty));

        Frame close = await client.ReceiveCloseAsync();
        Assert.Equal(System.Net.WebSockets.WebSocketCloseStatus.EndpointUnavailable, close.CloseStatus);
        await server.Probe.WaitForAsync("terminate echo:room 3 Closed");
        await other.HeartbeatAsync("1");
    }

    [Fact]
    public async Task Client_close_terminates_every_channel()
    {
        await using var server = await TestServer.StartAsync();
        var client = await server.ConnectAsync();
        await client.JoinOkAsync("echo:a", "3");
        await client.JoinOkAsync("echo:b", "4");

        await client.DisposeAsync();

        await server.Probe.WaitForAsync("terminate echo:a 3 Closed");
        await server.Probe.WaitForAsync("terminate echo:b 4 Closed");
    }
}

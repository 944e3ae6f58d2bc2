using Confab.Channels.Tests.Infrastructure;

namespace Confab.Channels.Tests;

/// <summary>
/// Frames are handled in order, but an incomplete HandleInAsync does not hold up the reader: replies go out as
/// handlers complete, up to MaxPendingRepliesPerSocket handlers in flight per socket.
/// </summary>
public sealed class AsyncHandlerTests
{
    [Fact]
    public async Task Synchronous_handlers_reply_in_frame_order()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.JoinOkAsync("echo:1", "3");

        for (int i = 0; i < 50; i++)
        {
            await client.SendAsync($$"""["3","{{i}}","echo:1","new_msg",{"n":{{i}}}]""");
        }

        for (int i = 0; i < 50; i++)
        {
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), (await client.ReceiveAsync()).Ref);
        }
    }

    [Fact]
    public async Task Pipelined_handlers_reply_as_they_complete()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.JoinOkAsync("echo:1", "3");

        await client.SendAsync("""["3","10","echo:1","slow",{"id":"a"}]""");
        await client.SendAsync("""["3","11","echo:1","slow",{"id":"b"}]""");
        await client.SendAsync("""["3","12","echo:1","new_msg",{}]""");

        Assert.Equal("12", (await client.ReceiveAsync()).Ref);
        await client.ExpectNothingAsync();
        server.Probe.Open("b");
        Assert.Equal("""["3","11","echo:1","phx_reply",{"status":"ok","response":{"id":"b"}}]""", (await client.ReceiveAsync()).Raw);
        server.Probe.Open("a");
        Assert.Equal("""["3","10","echo:1","phx_reply",{"status":"ok","response":{"id":"a"}}]""", (await client.ReceiveAsync()).Raw);
        Assert.Equal(2, server.Probe.MaxInFlight);
    }

    [Fact]
    public async Task At_the_cap_the_reader_waits_for_a_handler_to_finish()
    {
        await using var server = await TestServer.StartAsync(o => o.MaxPendingRepliesPerSocket = 2);
        await using var client = await server.ConnectAsync();
        await client.JoinOkAsync("echo:1", "3");

        await client.SendAsync("""["3","10","echo:1","slow",{"id":"a"}]""");
        await client.SendAsync("""["3","11","echo:1","slow",{"id":"b"}]""");
        await client.SendAsync("""["3","12","echo:1","slow",{"id":"c"}]""");
        await client.SendAsync("""[null,"13","phoenix","heartbeat",{}]""");

        // a and b are in flight; c waits for a slot, and the heartbeat behind it is not read yet.
        await client.ExpectNothingAsync();
        Assert.Equal(2, server.Probe.MaxInFlight);

        server.Probe.Open("a");
        Assert.Equal("10", (await client.ReceiveAsync()).Ref);
        Assert.Equal("13", (await client.ReceiveAsync()).Ref);
        server.Probe.Open("c");
        Assert.Equal("12", (await client.ReceiveAsync()).Ref);
        server.Probe.Open("b");
        Assert.Equal("11", (await client.ReceiveAsync()).Ref);
        Assert.Equal(2, server.Probe.MaxInFlight);
    }

    [Fact]
    public async Task Async_handler_that_throws_crashes_its_channel()
    {
        await using var server = await TestServer.StartAsync();
        server.AllowErrorLog(9);
        await using var client = await server.ConnectAsync();
        await client.JoinOkAsync("echo:1", "3");

        await client.SendAsync("""["3","10","echo:1","slow",{"id":"a","boom":true}]""");
        await client.HeartbeatAsync("11");
        server.Probe.Open("a");

        Assert.Equal("""["3","3","echo:1","phx_error",{"reason":"channel_crash"}]""", (await client.ReceiveAsync()).Raw);
        await server.Probe.WaitForAsync("terminate echo:1 3 Crash");
    }

    [Fact]
    public async Task Reply_of_a_handler_that_outlives_its_channel_is_not_sent()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.JoinOkAsync("echo:1", "3");

        await client.SendAsync("""["3","10","echo:1","slow",{"id":"a"}]""");
        await client.SendAsync("""["3","11","echo:1","phx_leave",{}]""");
        Assert.Equal("11", (await client.ReceiveAsync()).Ref);
        Assert.Equal("phx_close", (await client.ReceiveAsync()).Event);
        server.Probe.Open("a");

        await client.ExpectNothingAsync();
    }
}

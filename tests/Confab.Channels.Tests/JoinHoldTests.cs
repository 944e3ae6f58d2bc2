using System.Net.WebSockets;
using Confab.Channels.Tests.Infrastructure;

namespace Confab.Channels.Tests;

/// <summary>
/// A channel subscribes to its topic before its join callback runs: what is published while the join reads its state
/// arrives after the ok reply, in order (minus what the channel says the reply already carried), and nothing of it
/// reaches a client whose join fails.
/// </summary>
public sealed class JoinHoldTests
{
    [Fact]
    public async Task Broadcasts_published_during_the_join_follow_the_ok_reply_in_order()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();

        await client.SendAsync("""["1","1","gated:a","phx_join",{}]""");
        await server.Probe.WaitForAsync("joining gated:a");
        await server.PubSub.BroadcastAsync(new Broadcast("gated:a", "shout", JsonPayload.Parse("""{"n":1}""")));
        await server.PubSub.BroadcastAsync(new Broadcast("gated:a", "shout", JsonPayload.Parse("""{"n":2,"replied":true}""")));
        await server.PubSub.BroadcastAsync(new Broadcast("gated:a", "shout", JsonPayload.Parse("""{"n":3}""")));
        await client.ExpectNothingAsync(TimeSpan.FromMilliseconds(200));
        Assert.Equal(0, server.Metrics.JoinedChannels);

        server.Probe.Open("gated:a");
        Assert.Equal("""["1","1","gated:a","phx_reply",{"status":"ok","response":{}}]""", (await client.ReceiveAsync()).Raw);
        Assert.Equal("""[null,null,"gated:a","shout",{"n":1}]""", (await client.ReceiveAsync()).Raw);
        Assert.Equal("""[null,null,"gated:a","shout",{"n":3}]""", (await client.ReceiveAsync()).Raw);
        Assert.Equal(1, server.Metrics.JoinedChannels);

        // Joined: broadcasts go straight through the channel's filter.
        await server.PubSub.BroadcastAsync(new Broadcast("gated:a", "shout", JsonPayload.Parse("""{"n":4,"replied":true}""")));
        await server.PubSub.BroadcastAsync(new Broadcast("gated:a", "shout", JsonPayload.Parse("""{"n":5}""")));
        Assert.Equal("""[null,null,"gated:a","shout",{"n":5}]""", (await client.ReceiveAsync()).Raw);
    }

    [Fact]
    public async Task A_failed_join_gets_none_of_the_broadcasts_and_leaves_no_subscription()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();

        await client.SendAsync("""["1","1","gated:b","phx_join",{"fail":true}]""");
        await server.Probe.WaitForAsync("joining gated:b");
        Assert.Equal(1, ((LocalPubSub)server.PubSub).SubscriberCount("gated:b"));
        await server.PubSub.BroadcastAsync(new Broadcast("gated:b", "shout", JsonPayload.Parse("""{"n":1}""")));
        server.Probe.Open("gated:b");

        Assert.Equal("""["1","1","gated:b","phx_reply",{"status":"error","response":{"reason":"refused"}}]""", (await client.ReceiveAsync()).Raw);
        await server.PubSub.BroadcastAsync(new Broadcast("gated:b", "shout", JsonPayload.Parse("""{"n":2}""")));
        await client.ExpectNothingAsync(TimeSpan.FromMilliseconds(200));
        Assert.Equal(0, ((LocalPubSub)server.PubSub).SubscriberCount("gated:b"));
        Assert.Equal(0, server.Metrics.JoinedChannels);
    }

    [Fact]
    public async Task More_held_than_the_queue_takes_drops_droppable_ones_and_closes_on_one_that_must_arrive()
    {
        await using var server = await TestServer.StartAsync(options =>
        {
            options.OutboundQueueCapacity = 16;
            options.MaxPendingRepliesPerSocket = 16;
        });
        await using var client = await server.ConnectAsync();

        await client.SendAsync("""["1","1","gated:c","phx_join",{}]""");
        await server.Probe.WaitForAsync("joining gated:c");
        for (int n = 0; n < 20; n++)
        {
            await server.PubSub.BroadcastAsync(new Broadcast("gated:c", "typing", JsonPayload.Parse($$"""{"n":{{n}}}""")) { Droppable = true });
        }

        Assert.Equal(4, server.Metrics.FramesDropped);
        Assert.Equal(0, server.Metrics.SlowConsumerCloses);
        await server.PubSub.BroadcastAsync(new Broadcast("gated:c", "shout", JsonPayload.Parse("""{"must":true}""")));
        server.Probe.Open("gated:c");

        Frame close = await client.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.InternalServerError, close.CloseStatus);
        Assert.Equal("slow consumer", close.CloseDescription);
        Assert.Equal(1, server.Metrics.SlowConsumerCloses);
    }

    [Fact]
    public async Task A_leave_waits_for_a_delivery_under_way_so_no_broadcast_follows_the_leave_reply()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        server.Probe.Open("gated:d");
        await client.JoinOkAsync("gated:d", "1");

        // The publisher is inside the channel's delivery when the leave comes in.
        Task publishing = Task.Run(() => server.PubSub.BroadcastAsync(new Broadcast("gated:d", "shout", JsonPayload.Parse("""{"hold":"deliver"}"""))).AsTask());
        await server.Probe.WaitForAsync("delivering");
        await client.SendAsync("""["1","2","gated:d","phx_leave",{}]""");
        await client.ExpectNothingAsync(TimeSpan.FromMilliseconds(200));
        server.Probe.Open("deliver");
        await publishing;

        Assert.Equal("""[null,null,"gated:d","shout",{"hold":"deliver"}]""", (await client.ReceiveAsync()).Raw);
        Assert.Equal("""["1","2","gated:d","phx_reply",{"status":"ok","response":{}}]""", (await client.ReceiveAsync()).Raw);
        Assert.Equal("""["1","1","gated:d","phx_close",{}]""", (await client.ReceiveAsync()).Raw);
    }
}

using System.Diagnostics;
using System.Text;
using Confab.Channels.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Confab.Channels.Tests;

/// <summary>
/// DESIGN decision 3: a socket that cannot keep up drops droppable frames first and is closed when its queue is full
/// of frames that must arrive; publishing never waits for it, and other sockets on the topic are not slowed down.
/// </summary>
public sealed class SlowConsumerTests(ITestOutputHelper output)
{
    private const int Batch = 16;
    private const int MaxMessages = 20_000;

    [Fact]
    public async Task Slow_consumer_is_closed_and_a_normal_client_still_receives_everything_promptly()
    {
        await using var server = await TestServer.StartAsync(o =>
        {
            o.OutboundQueueCapacity = 32;
            o.MaxPendingRepliesPerSocket = 16;
            o.CloseTimeout = TimeSpan.FromSeconds(1);
        });
        await using var slow = await server.ConnectAsync();
        await using var normal = await server.ConnectAsync();
        await slow.JoinOkAsync("echo:flood", "3");
        await normal.JoinOkAsync("echo:flood", "3");
        slow.Pause();

        var counter = new ReceiveCounter(normal);
        int published = 0;
        var publishTime = new Stopwatch();
        while (server.Metrics.SlowConsumerCloses == 0 && published < MaxMessages)
        {
            published = await PublishBatchAsync(server, published, droppable: false, publishTime);
            await counter.WaitForAsync(published);
        }

        Assert.Equal(1, server.Metrics.SlowConsumerCloses);

        // The room goes on without the slow socket.
        published = await PublishBatchAsync(server, published, droppable: false, publishTime);
        var lastBatch = Stopwatch.StartNew();
        await counter.WaitForAsync(published);
        Assert.True(lastBatch.Elapsed < TimeSpan.FromSeconds(2), $"the last batch took {lastBatch.Elapsed}");
        Assert.Equal(published, counter.Count);
        Assert.True(publishTime.Elapsed < TimeSpan.FromSeconds(5), $"publishing {published} messages took {publishTime.Elapsed}");

        // Once it reads again, the slow client finds its connection closed (1011, or aborted if the close could not be sent).
        slow.Resume();
        Frame close = await slow.ReceiveCloseAsync(TimeSpan.FromSeconds(15));
        Assert.True(close.CloseStatus == System.Net.WebSockets.WebSocketCloseStatus.InternalServerError || close.Error is not null, $"closed with {close.CloseStatus}");
        await WaitUntilAsync(() => server.Metrics.ActiveSockets == 1);
        output.WriteLine($"slow socket closed after {published - Batch} broadcasts of 16 KiB; {published} published in {publishTime.Elapsed.TotalMilliseconds:F1} ms of publishing; last batch received in {lastBatch.Elapsed.TotalMilliseconds:F1} ms");
    }

    [Fact]
    public async Task Droppable_frames_are_dropped_for_a_slow_consumer_without_closing_it()
    {
        await using var server = await TestServer.StartAsync(o =>
        {
            o.OutboundQueueCapacity = 32;
            o.MaxPendingRepliesPerSocket = 16;
        });
        await using var slow = await server.ConnectAsync();
        await using var normal = await server.ConnectAsync();
        await slow.JoinOkAsync("echo:typing", "3");
        await normal.JoinOkAsync("echo:typing", "3");
        slow.Pause();

        var counter = new ReceiveCounter(normal);
        int published = 0;
        while (server.Metrics.FramesDropped == 0 && published < MaxMessages)
        {
            published = await PublishBatchAsync(server, published, droppable: true, new Stopwatch(), topic: "echo:typing");
            await counter.WaitForAsync(published);
        }

        output.WriteLine($"{server.Metrics.FramesDropped} droppable frames dropped after {published} broadcasts of 16 KiB");
        Assert.True(server.Metrics.FramesDropped > 0);
        Assert.Equal(0, server.Metrics.SlowConsumerCloses);
        Assert.Contains(server.Logs.Entries, e => e.EventId.Id == 15);

        slow.Resume();
        await slow.SendAsync("""[null,"hb","phoenix","heartbeat",{}]""");
        while (true)
        {
            Message message = await slow.ReceiveAsync(TimeSpan.FromSeconds(15));
            if (message.Event == "phx_reply")
            {
                Assert.Equal("hb", message.Ref);
                break;
            }
        }
    }

    private static async Task<int> PublishBatchAsync(TestServer server, int published, bool droppable, Stopwatch publishTime, string topic = "echo:flood")
    {
        string padding = new('x', 16 * 1024);
        for (int i = 0; i < Batch; i++)
        {
            var message = new Broadcast(topic, "tick", JsonPayload.FromUtf8(Encoding.UTF8.GetBytes($$"""{"seq":{{published}},"pad":"{{padding}}"}""")))
            {
                Droppable = droppable,
            };
            publishTime.Start();
            ValueTask publish = server.PubSub.BroadcastAsync(message);
            publishTime.Stop();
            Assert.True(publish.IsCompletedSuccessfully, "publishing must not wait for sockets");
            await publish;
            published++;
        }

        return published;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), "condition not met in time");
            await Task.Delay(20);
        }
    }

    /// <summary>Reads a client's frames in the background, checking that broadcasts arrive complete and in order.</summary>
    private sealed class ReceiveCounter
    {
        private readonly Task _loop;
        private int _count;

        public ReceiveCounter(PhoenixTestClient client)
        {
            _loop = Task.Run(async () =>
            {
                while (true)
                {
                    Message message = await client.ReceiveAsync(TimeSpan.FromSeconds(30));
                    Assert.Equal(Volatile.Read(ref _count), message.Payload.GetProperty("seq").GetInt32());
                    Interlocked.Increment(ref _count);
                }
            });
        }

        public int Count => Volatile.Read(ref _count);

        public async Task WaitForAsync(int count)
        {
            var deadline = Stopwatch.StartNew();
            while (Count < count)
            {
                if (_loop.IsFaulted)
                {
                    await _loop;
                }

                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(10), $"normal client got {Count} of {count} frames");
                await Task.Delay(1);
            }
        }
    }
}

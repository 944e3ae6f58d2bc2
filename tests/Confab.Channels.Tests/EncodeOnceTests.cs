using System.Text;
using Confab.Channels.Internal;
using Confab.Channels.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Confab.Channels.Tests;

/// <summary>DESIGN decision 2: a broadcast is encoded once per protocol version, whatever the number of subscribers.</summary>
public sealed class EncodeOnceTests(ITestOutputHelper output)
{
    [Fact]
    public void Broadcast_frame_is_encoded_once_per_serializer_and_shared()
    {
        var message = new Broadcast("room:lobby", "new_msg", JsonPayload.Parse("""{"body":"hello"}"""));

        byte[] v2 = message.GetFrame(V2Serializer.Instance)!;
        byte[] v1 = message.GetFrame(V1Serializer.Instance)!;

        Assert.Same(v2, message.GetFrame(V2Serializer.Instance));
        Assert.Same(v1, message.GetFrame(V1Serializer.Instance));
        Assert.Equal("""[null,null,"room:lobby","new_msg",{"body":"hello"}]""", Encoding.UTF8.GetString(v2));
        Assert.Equal("""{"topic":"room:lobby","event":"new_msg","ref":null,"payload":{"body":"hello"}}""", Encoding.UTF8.GetString(v1));
    }

    [Fact]
    public async Task Publishing_to_many_sockets_allocates_nothing_per_subscriber()
    {
        await using var server = await TestServer.StartAsync();
        var clients = new List<PhoenixTestClient>();
        try
        {
            for (int i = 0; i < 50; i++)
            {
                PhoenixTestClient client = await server.ConnectAsync();
                clients.Add(client);
                await client.JoinOkAsync("echo:fan", "3");
            }

            // Warm up queues, pools and the writers' waits.
            for (int i = 0; i < 3; i++)
            {
                await server.PubSub.BroadcastAsync(new Broadcast("echo:fan", "tick", JsonPayload.Empty));
                foreach (PhoenixTestClient client in clients)
                {
                    await client.ReceiveAsync();
                }
            }

            // The one encoding (measured by Broadcast_frame_is_encoded_once...) happens first; what is left is the fan-out.
            var message = new Broadcast("echo:fan", "new_msg", JsonPayload.Parse($$"""{"body":"{{new string('x', 1000)}}"}"""));
            byte[] frame = message.GetFrame(V2Serializer.Instance)!;
            long before = GC.GetAllocatedBytesForCurrentThread();
            ValueTask publish = server.PubSub.BroadcastAsync(message);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            await publish;

            output.WriteLine($"fan-out of a {frame.Length}-byte frame to {clients.Count} sockets allocated {allocated} bytes on the publishing thread");
            Assert.True(allocated < 10 * clients.Count, $"fan-out to {clients.Count} subscribers allocated {allocated} bytes");

            foreach (PhoenixTestClient client in clients)
            {
                Assert.Equal(Encoding.UTF8.GetString(frame), (await client.ReceiveAsync()).Raw);
            }
        }
        finally
        {
            foreach (PhoenixTestClient client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task LocalPubSub_unsubscribe_and_faulty_subscribers()
    {
        var pubSub = new LocalPubSub();
        var good = new Counter();
        using (pubSub.Subscribe("t", new Throwing()))
        {
            IDisposable subscription = pubSub.Subscribe("t", good);
            await pubSub.BroadcastAsync(new Broadcast("t", "e", JsonPayload.Empty));
            Assert.Equal(1, good.Count);
            Assert.Equal(2, pubSub.SubscriberCount("t"));

            subscription.Dispose();
            subscription.Dispose();
            await pubSub.BroadcastAsync(new Broadcast("t", "e", JsonPayload.Empty));
            Assert.Equal(1, good.Count);
        }

        Assert.Equal(0, pubSub.SubscriberCount("t"));
    }

    private sealed class Counter : IBroadcastSubscriber
    {
        public int Count { get; private set; }

        public void OnBroadcast(Broadcast message) => Count++;
    }

    private sealed class Throwing : IBroadcastSubscriber
    {
        public void OnBroadcast(Broadcast message) => throw new InvalidOperationException("subscriber bug");
    }
}

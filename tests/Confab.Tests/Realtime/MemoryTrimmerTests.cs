using Confab.Channels;
using Confab.Realtime;
using Confab.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Confab.Tests.Realtime;

public sealed class MemoryTrimmerTests
{
    [Fact]
    public void The_pool_releases_only_blocks_that_sat_unused_through_a_whole_period()
    {
        using var pool = new BufferPool();
        var rented = Enumerable.Range(0, 3).Select(_ => pool.Rent()).ToList();
        Assert.All(rented, block => Assert.Equal(BufferPool.BlockSize, block.Memory.Length));
        rented.ForEach(block => block.Dispose());
        Assert.Equal(3, pool.Pooled);

        Assert.Equal(0, pool.Trim()); // they were all out during this period
        using (pool.Rent())
        {
            Assert.Equal(2, pool.Trim()); // one was needed since; two were not
        }

        Assert.Equal(1, pool.Pooled);
        Assert.Equal(1, pool.ReleaseAll());
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(BufferPool.BlockSize + 1));
    }

    [Fact]
    public async Task Kestrel_buffers_come_from_the_trimmed_pools_and_a_lasting_drop_in_sockets_releases_them_all()
    {
        await using var app = new ConfabFactory(new()
        {
            ["Confab:Server:TrimInterval"] = "01:00:00", // checked by hand below
            ["Confab:Server:TrimAfterDrop"] = "4",
        });
        var address = app.StartKestrel();
        var buffers = app.Services.GetRequiredService<BufferPoolFactory>();
        var trimmer = app.Services.GetServices<IHostedService>().OfType<MemoryTrimmer>().Single();
        var sockets = app.Services.GetRequiredService<ChannelsMetrics>();
        var token = ConfabFactory.TokenOf(await app.ClientForNewUserAsync("alice"));

        var clients = new List<PhoenixClient>();
        for (var i = 0; i < 8; i++)
        {
            var client = await PhoenixClient.ConnectAsync(address, token);
            await client.RequestAsync("room:general", "phx_join", new { });
            clients.Add(client);
        }

        Assert.True(buffers.Pooled > 0, "Kestrel's transport rents its buffers from the BufferPool");
        // Idle sockets hold no buffer: once the joins' presence traffic is over, a whole period passes with no rent.
        for (var i = 0; i < 10 && buffers.Pooled > 0; i++)
        {
            trimmer.Check();
            await Task.Delay(100);
        }

        Assert.Equal(0, buffers.Pooled);
        Assert.Equal(0, trimmer.Collections);

        await clients[0].RequestAsync("room:general", "new_message", new { content = "buffers again" });
        Assert.True(buffers.Pooled > 0);

        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }

        await WaitForAsync(() => sockets.ActiveSockets == 0);
        trimmer.Check(); // the drop is seen; sockets that are closing may still hold buffers
        Assert.Equal(0, trimmer.Collections);
        trimmer.Check();
        Assert.Equal(1, trimmer.Collections);
        Assert.Equal(0, buffers.Pooled);
        trimmer.Check();
        Assert.Equal(1, trimmer.Collections); // once per drop

        // Another drop within five intervals: buffers are still trimmed, but the heap is not compacted again yet.
        clients.Clear();
        for (var i = 0; i < 8; i++)
        {
            clients.Add(await PhoenixClient.ConnectAsync(address, token));
        }

        await WaitForAsync(() => sockets.ActiveSockets == 8);
        trimmer.Check(); // the new peak
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }

        await WaitForAsync(() => sockets.ActiveSockets == 0);
        trimmer.Check();
        trimmer.Check();
        Assert.Equal(1, trimmer.Collections);
    }

    /// <summary>The wiring the test host replays (see <see cref="ConfabFactory.StartKestrel"/>) is the app's own.</summary>
    [Fact]
    public async Task In_the_app_as_built_Kestrel_takes_its_buffer_pools_from_the_BufferPoolFactory()
    {
        var builder = WebApplication.CreateBuilder();
        builder.UseSocketCapacity();
        await using var app = builder.Build();

        Assert.IsType<BufferPoolFactory>(app.Services.GetRequiredService<IMemoryPoolFactory<byte>>());
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(20);
        }
    }
}

using System.Net.WebSockets;
using Confab.Channels.Tests.Infrastructure;

namespace Confab.Channels.Tests;

/// <summary>Application stop closes every socket with 1001 so clients reconnect, and ends their channels.</summary>
public sealed class ShutdownTests
{
    [Fact]
    public async Task Stopping_the_application_closes_every_socket_with_1001()
    {
        await using var server = await TestServer.StartAsync();
        await using var alice = await server.ConnectAsync();
        await using var bob = await server.ConnectAsync("token=good&vsn=1.0.0");
        await alice.JoinOkAsync("echo:a", "3");
        await bob.SendAsync("""{"topic":"echo:b","event":"phx_join","payload":{},"ref":"4"}""");
        await bob.ReceiveFrameAsync();

        Task stopping = server.App.StopAsync();

        foreach (PhoenixTestClient client in new[] { alice, bob })
        {
            Frame close = await client.ReceiveCloseAsync();
            Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, close.CloseStatus);
            Assert.Equal("server shutting down", close.CloseDescription);
        }

        await stopping.WaitAsync(TimeSpan.FromSeconds(10));
        await server.Probe.WaitForAsync("terminate echo:a 3 ServerShutdown");
        await server.Probe.WaitForAsync("terminate echo:b 4 ServerShutdown");
        Assert.Equal(0, server.Metrics.ActiveSockets);
    }
}

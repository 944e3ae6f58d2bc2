using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Confab.Realtime;
using Confab.Tests.Infrastructure;
using Confab.Tests.Telemetry;
using Microsoft.Extensions.DependencyInjection;

namespace Confab.Tests.Security;

/// <summary>One user, or one client address, cannot hold every connection: sockets beyond the caps are refused with 429.</summary>
public sealed class SocketQuotaTests
{
    [Fact]
    public async Task A_user_beyond_their_socket_cap_gets_429_with_a_reason_and_a_closed_socket_makes_room()
    {
        await using var app = new ConfabFactory(new() { ["Confab:Realtime:MaxSocketsPerUser"] = "3" });
        var address = app.StartKestrel();
        var alice = ConfabFactory.TokenOf(await app.ClientForNewUserAsync("alice"));
        var bob = ConfabFactory.TokenOf(await app.ClientForNewUserAsync("bob"));
        var open = new List<SocketClient>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                open.Add(await SocketClient.ConnectAsync(address, alice));
            }

            var refused = await UpgradeAsync(address, alice);
            Assert.Equal(429, refused.Status);
            Assert.Contains("Too many open sockets for this user (at most 3)", refused.Body, StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.TooManyRequests, await ClientStatusAsync(address, alice));

            // Others are not affected, and the sockets already open still work.
            await using (var other = await SocketClient.ConnectAsync(address, bob))
            {
                Assert.Equal("ok", (await other.JoinAsync("room:general")).GetProperty("status").GetString());
            }

            Assert.Equal("ok", (await open[0].JoinAsync("room:general")).GetProperty("status").GetString());

            // Closing one frees its place.
            await open[2].DisposeAsync();
            open.RemoveAt(2);
            var quota = app.Services.GetRequiredService<SocketQuota>();
            await Eventually(() => quota.OpenFor(1) == 2);
            open.Add(await SocketClient.ConnectAsync(address, alice));

            var metrics = await app.CreateClient().GetStringAsync("/metrics");
            Assert.Equal(2, MetricsTests.Value(metrics, "confab_sockets_refused_total", "reason=\"user_limit\""));
        }
        finally
        {
            foreach (var socket in open)
            {
                await socket.DisposeAsync();
            }
        }

        var counts = app.Services.GetRequiredService<SocketQuota>();
        await Eventually(() => counts.OpenFor(1) == 0 && counts.OpenFor(2) == 0);
    }

    [Fact]
    public async Task An_address_beyond_its_cap_gets_429_counted_by_the_trusted_proxy_header()
    {
        await using var app = new ConfabFactory(new()
        {
            ["Confab:Realtime:MaxSocketsPerAddress"] = "2",
            ["Confab:RateLimits:ClientIpHeader"] = "CF-Connecting-IP",
        });
        var address = app.StartKestrel();
        var tokens = new List<string>();
        foreach (var name in new[] { "alice", "bob", "carol" })
        {
            tokens.Add(ConfabFactory.TokenOf(await app.ClientForNewUserAsync(name)));
        }

        void From(ClientWebSocketOptions options, string ip) => options.SetRequestHeader("CF-Connecting-IP", ip);
        await using var first = await SocketClient.ConnectAsync(address, tokens[0], o => From(o, "203.0.113.7"));
        await using var second = await SocketClient.ConnectAsync(address, tokens[1], o => From(o, "203.0.113.7"));

        var refused = await UpgradeAsync(address, tokens[2], "CF-Connecting-IP: 203.0.113.7\r\n");
        Assert.Equal(429, refused.Status);
        Assert.Contains("Too many open sockets from this address (at most 2)", refused.Body, StringComparison.Ordinal);

        // Another visitor behind the same proxy (127.0.0.1 for all three) is counted on their own.
        await using var third = await SocketClient.ConnectAsync(address, tokens[2], o => From(o, "198.51.100.4"));
        Assert.Equal("ok", (await third.JoinAsync("room:general")).GetProperty("status").GetString());
        var metrics = await app.CreateClient().GetStringAsync("/metrics");
        Assert.Equal(1, MetricsTests.Value(metrics, "confab_sockets_refused_total", "reason=\"address_limit\""));
    }

    [Fact]
    public async Task Without_a_trusted_header_the_connections_address_counts_and_a_sent_header_is_ignored()
    {
        await using var app = new ConfabFactory(new() { ["Confab:Realtime:MaxSocketsPerAddress"] = "1" });
        var address = app.StartKestrel();
        var alice = ConfabFactory.TokenOf(await app.ClientForNewUserAsync("alice"));
        var bob = ConfabFactory.TokenOf(await app.ClientForNewUserAsync("bob"));
        await using var first = await SocketClient.ConnectAsync(address, alice);

        var refused = await UpgradeAsync(address, bob, "CF-Connecting-IP: 198.51.100.9\r\n");

        Assert.Equal(429, refused.Status);
    }

    /// <summary>The status the .NET WebSocket client sees for a refused upgrade.</summary>
    private static async Task<HttpStatusCode> ClientStatusAsync(Uri address, string token)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        using var timeout = new CancellationTokenSource(SocketClient.Timeout);
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(SocketClient.SocketUri(address, token), timeout.Token));
        return socket.HttpStatusCode;
    }

    /// <summary>A raw upgrade request: the status line's code and the body the server answered with before closing.</summary>
    private static async Task<(int Status, string Body)> UpgradeAsync(Uri address, string token, string extraHeaders = "")
    {
        using var timeout = new CancellationTokenSource(SocketClient.Timeout);
        using var client = new TcpClient();
        await client.ConnectAsync(address.Host, address.Port, timeout.Token);
        var stream = client.GetStream();
        var target = SocketClient.SocketUri(address, token).PathAndQuery;
        var request = $"GET {target} HTTP/1.1\r\nHost: {address.Authority}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
            + $"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n{extraHeaders}\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), timeout.Token);
        using var received = new MemoryStream();
        await stream.CopyToAsync(received, timeout.Token); // a refusal closes the connection
        var text = Encoding.UTF8.GetString(received.ToArray());
        var status = int.Parse(text.Split(' ', 3)[1], System.Globalization.CultureInfo.InvariantCulture);
        return (status, text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]);
    }

    private static async Task Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 5 s");
            await Task.Delay(20);
        }
    }
}

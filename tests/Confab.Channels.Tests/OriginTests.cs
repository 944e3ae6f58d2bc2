using System.Net;
using System.Net.WebSockets;
using Confab.Channels.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Confab.Channels.Tests;

/// <summary>PHOENIX_PROTOCOL section 5, check_origin: cross-site WebSocket hijacking is refused before connect.</summary>
public sealed class OriginTests
{
    [Theory]
    [InlineData("http://evil.example")]
    [InlineData("https://127.0.0.1.evil.example")]
    [InlineData("null")]
    [InlineData("not a url")]
    public async Task A_foreign_origin_is_403_before_connect_runs(string origin)
    {
        await using var server = await TestServer.StartAsync();

        HttpStatusCode status = await RefusedAsync(server, origin);

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Null(server.Probe.LastConnect);
    }

    [Theory]
    [InlineData("http://127.0.0.1")]
    [InlineData("https://127.0.0.1:8443")]
    public async Task The_requests_own_host_is_allowed_whatever_the_scheme_and_port(string origin)
    {
        await using var server = await TestServer.StartAsync();

        await using var client = await server.ConnectAsync(configure: o => o.SetRequestHeader("Origin", origin));

        await client.HeartbeatAsync("1");
        Assert.NotNull(server.Probe.LastConnect);
    }

    [Fact]
    public async Task No_origin_header_is_allowed_for_non_browser_clients()
    {
        await using var server = await TestServer.StartAsync();

        await using var client = await server.ConnectAsync();

        await client.HeartbeatAsync("1");
    }

    [Fact]
    public async Task A_configured_host_replaces_the_requests_own()
    {
        await using var server = await TestServer.StartAsync(o => o.Host = "chat.example.com");

        await using var client = await server.ConnectAsync(configure: o => o.SetRequestHeader("Origin", "https://CHAT.example.com"));
        await client.HeartbeatAsync("1");
        Assert.Equal(HttpStatusCode.Forbidden, await RefusedAsync(server, "http://127.0.0.1"));
    }

    [Theory]
    [InlineData("https://app.example.com", true)]
    [InlineData("https://app.example.com:9999", true)]
    [InlineData("http://app.example.com", false)]
    [InlineData("http://other.com:888", true)]
    [InlineData("https://other.com:888", true)]
    [InlineData("https://other.com", false)]
    [InlineData("https://a.b.wild.com", true)]
    [InlineData("https://wild.com", true)]
    [InlineData("https://notwild.com", false)]
    [InlineData("http://127.0.0.1", false)]
    public async Task Allowed_origins_compare_scheme_host_and_port_where_given(string origin, bool allowed)
    {
        await using var server = await TestServer.StartAsync(o =>
        {
            o.AllowedOrigins.Add("https://app.example.com");
            o.AllowedOrigins.Add("//other.com:888");
            o.AllowedOrigins.Add("//*.wild.com");
        });

        if (allowed)
        {
            await using var client = await server.ConnectAsync(configure: o => o.SetRequestHeader("Origin", origin));
            await client.HeartbeatAsync("1");
        }
        else
        {
            Assert.Equal(HttpStatusCode.Forbidden, await RefusedAsync(server, origin));
        }
    }

    [Fact]
    public async Task Check_origin_can_be_turned_off()
    {
        await using var server = await TestServer.StartAsync(o => o.CheckOrigin = false);

        await using var client = await server.ConnectAsync(configure: o => o.SetRequestHeader("Origin", "http://evil.example"));

        await client.HeartbeatAsync("1");
    }

    [Theory]
    [InlineData("example.com")]
    [InlineData("https://example.com/path")]
    [InlineData("")]
    public async Task An_allowed_origin_that_is_not_an_origin_fails_at_start_up(string pattern)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => TestServer.StartAsync(o => o.AllowedOrigins.Add(pattern)));

        Assert.Contains("ChannelOptions.AllowedOrigins", error.Message, StringComparison.Ordinal);
    }

    private static async Task<HttpStatusCode> RefusedAsync(TestServer server, string origin)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.SetRequestHeader("Origin", origin);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(server.SocketUri(), timeout.Token));
        return socket.HttpStatusCode;
    }
}

using System.Net;
using System.Net.WebSockets;
using Confab.Channels.Tests.Infrastructure;

namespace Confab.Channels.Tests;

/// <summary>PHOENIX_PROTOCOL 1.1 and 1.2: URL, vsn, connect params, authToken subprotocol, refusals.</summary>
public sealed class HandshakeTests
{
    [Theory]
    [InlineData("token=bad&vsn=2.0.0")]
    [InlineData("vsn=2.0.0")]
    public async Task Refused_connect_is_a_plain_403_with_empty_body_and_no_upgrade(string query)
    {
        await using var server = await TestServer.StartAsync();

        RawResponse response = await RawHttp.SendAsync(server.BaseAddress, RawHttp.UpgradeRequest(server.BaseAddress, "GET", $"/socket/websocket?{query}"));

        Assert.Equal(403, response.StatusCode);
        Assert.Empty(response.Body);
        Assert.False(response.Headers.ContainsKey("Upgrade"));
        Assert.False(response.Headers.ContainsKey("Sec-WebSocket-Accept"));
    }

    [Fact]
    public async Task A_connect_refused_with_a_status_and_reason_answers_them_as_text_and_is_never_disconnected()
    {
        await using var server = await TestServer.StartAsync();

        RawResponse response = await RawHttp.SendAsync(server.BaseAddress, RawHttp.UpgradeRequest(server.BaseAddress, "GET", "/socket/websocket?token=busy&vsn=2.0.0"));

        Assert.Equal(429, response.StatusCode);
        Assert.Equal(TestSocket.BusyReason, System.Text.Encoding.UTF8.GetString(response.Body));
        Assert.StartsWith("text/plain", response.Headers["Content-Type"], StringComparison.Ordinal);
        Assert.False(response.Headers.ContainsKey("Upgrade"));
        Assert.Empty(server.Probe.Disconnects);
    }

    [Fact]
    public async Task Every_accepted_socket_is_disconnected_once_when_it_ends()
    {
        await using var server = await TestServer.StartAsync();
        var first = await server.ConnectAsync();
        await using (var second = await server.ConnectAsync())
        {
            await first.DisposeAsync();
            await WaitUntilAsync(() => server.Probe.Disconnects.Count == 1);
        }

        await WaitUntilAsync(() => server.Probe.Disconnects.Count == 2);
        await Task.Delay(200);
        Assert.Equal(2, server.Probe.Disconnects.Distinct().Count());
        Assert.Equal(2, server.Probe.Disconnects.Count);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(20);
        }
    }

    [Theory]
    [InlineData("3.0.0")]
    [InlineData("abc")]
    [InlineData("")]
    [InlineData("2.x")]
    public async Task Unsupported_vsn_is_403_before_connect_runs(string vsn)
    {
        await using var server = await TestServer.StartAsync();

        RawResponse response = await RawHttp.SendAsync(server.BaseAddress, RawHttp.UpgradeRequest(server.BaseAddress, "GET", $"/socket/websocket?token=good&vsn={vsn}"));

        Assert.Equal(403, response.StatusCode);
        Assert.Empty(response.Body);
        Assert.Null(server.Probe.LastConnect);
    }

    [Fact]
    public async Task Non_GET_upgrade_is_400()
    {
        await using var server = await TestServer.StartAsync();

        RawResponse response = await RawHttp.SendAsync(server.BaseAddress, RawHttp.UpgradeRequest(server.BaseAddress, "POST", "/socket/websocket?token=good&vsn=2.0.0"));

        Assert.Equal(400, response.StatusCode);
        Assert.Empty(response.Body);
    }

    [Fact]
    public async Task Plain_GET_without_websocket_headers_is_400()
    {
        await using var server = await TestServer.StartAsync();
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };

        using HttpResponseMessage response = await http.GetAsync(new Uri("/socket/websocket?token=good&vsn=2.0.0", UriKind.Relative));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Empty(await response.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Refusal_reaches_ClientWebSocket_as_403()
    {
        await using var server = await TestServer.StartAsync();
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));

        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(server.SocketUri("token=nope&vsn=2.0.0"), timeout.Token));

        Assert.Equal(HttpStatusCode.Forbidden, socket.HttpStatusCode);
    }

    [Fact]
    public async Task Connect_params_are_the_query_string_without_vsn()
    {
        await using var server = await TestServer.StartAsync();

        await using var client = await server.ConnectAsync("token=good&user=alice&room%5Bid%5D=7&vsn=2.0.0");
        await client.HeartbeatAsync("1");

        var parameters = server.Probe.LastConnect!.Params;
        Assert.Equal("good", parameters["token"]);
        Assert.Equal("alice", parameters["user"]);
        Assert.Equal("7", parameters["room[id]"]);
        Assert.False(parameters.ContainsKey("vsn"));
        Assert.Null(server.Probe.LastConnect.AuthToken);
    }

    [Fact]
    public async Task AuthToken_subprotocol_is_decoded_and_answered_with_phoenix()
    {
        await using var server = await TestServer.StartAsync();

        // Exactly what phoenix.js sends for authToken "s3cr3t-token?" (recorded).
        await using var client = await server.ConnectAsync("vsn=2.0.0", configure: options =>
        {
            options.AddSubProtocol("phoenix");
            options.AddSubProtocol("base64url.bearer.phx.czNjcjN0LXRva2VuPw");
        });

        Assert.Equal("phoenix", client.Socket.SubProtocol);
        Assert.Equal(TestSocket.GoodAuthToken, server.Probe.LastConnect!.AuthToken);
        await client.HeartbeatAsync("1");
    }

    [Fact]
    public async Task Phoenix_subprotocol_is_selected_whenever_offered()
    {
        await using var server = await TestServer.StartAsync();

        await using var client = await server.ConnectAsync(configure: options => options.AddSubProtocol("phoenix"));

        Assert.Equal("phoenix", client.Socket.SubProtocol);
    }

    [Fact]
    public async Task No_subprotocol_is_selected_when_none_is_offered()
    {
        await using var server = await TestServer.StartAsync();

        await using var client = await server.ConnectAsync();

        Assert.Null(client.Socket.SubProtocol);
        await client.HeartbeatAsync("1");
    }

    [Fact]
    public async Task Undecodable_authToken_is_403()
    {
        await using var server = await TestServer.StartAsync();
        string request = RawHttp.UpgradeRequest(server.BaseAddress, "GET", "/socket/websocket?token=good&vsn=2.0.0")
            .Replace("\r\n\r\n", "\r\nSec-WebSocket-Protocol: phoenix, base64url.bearer.phx.a\r\n\r\n", StringComparison.Ordinal);

        RawResponse response = await RawHttp.SendAsync(server.BaseAddress, request);

        Assert.Equal(403, response.StatusCode);
    }
}

using System.Net;
using System.Net.WebSockets;
using Confab.Tests.Infrastructure;

namespace Confab.Tests.Security;

/// <summary>Cross-site WebSocket hijacking: Confab's socket checks the Origin against its configured host.</summary>
public sealed class OriginTests
{
    [Fact]
    public async Task By_default_only_the_apps_own_host_may_open_a_socket_from_a_browser()
    {
        await using var app = new ConfabFactory();
        var address = app.StartKestrel();
        var token = ConfabFactory.TokenOf(await app.ClientForNewUserAsync("alice"));

        Assert.Equal(HttpStatusCode.Forbidden, await ConnectStatusAsync(address, token, "https://evil.example"));
        Assert.Equal(HttpStatusCode.SwitchingProtocols, await ConnectStatusAsync(address, token, $"http://{address.Authority}"));
        Assert.Equal(HttpStatusCode.SwitchingProtocols, await ConnectStatusAsync(address, token, origin: null));
    }

    [Fact]
    public async Task PHX_HOST_names_the_host_browsers_must_come_from()
    {
        await using var app = new ConfabFactory(new() { ["PHX_HOST"] = "chat.example.com" });
        var address = app.StartKestrel();
        var token = ConfabFactory.TokenOf(await app.ClientForNewUserAsync("alice"));

        Assert.Equal(HttpStatusCode.SwitchingProtocols, await ConnectStatusAsync(address, token, "https://chat.example.com"));
        Assert.Equal(HttpStatusCode.Forbidden, await ConnectStatusAsync(address, token, $"http://{address.Authority}"));
    }

    [Fact]
    public async Task Channels_AllowedOrigins_lists_other_sites()
    {
        await using var app = new ConfabFactory(new() { ["Channels:AllowedOrigins:0"] = "//*.example.org" });
        var address = app.StartKestrel();
        var token = ConfabFactory.TokenOf(await app.ClientForNewUserAsync("alice"));

        Assert.Equal(HttpStatusCode.SwitchingProtocols, await ConnectStatusAsync(address, token, "https://app.example.org"));
        Assert.Equal(HttpStatusCode.Forbidden, await ConnectStatusAsync(address, token, "https://example.com"));
    }

    private static async Task<HttpStatusCode> ConnectStatusAsync(Uri address, string token, string? origin)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }

        using var timeout = new CancellationTokenSource(SocketClient.Timeout);
        try
        {
            await socket.ConnectAsync(SocketClient.SocketUri(address, token), timeout.Token);
            await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
        }
        catch (WebSocketException)
        {
            Assert.NotEqual(HttpStatusCode.SwitchingProtocols, socket.HttpStatusCode);
        }

        return socket.HttpStatusCode;
    }
}

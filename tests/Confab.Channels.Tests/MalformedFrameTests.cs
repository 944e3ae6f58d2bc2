using System.Net.WebSockets;
using Confab.Channels.Tests.Infrastructure;

namespace Confab.Channels.Tests;

/// <summary>DESIGN decision 11: an undecodable frame closes that socket with 1007; nothing else is affected.</summary>
public sealed class MalformedFrameTests
{
    [Theory]
    [InlineData("hello")]
    [InlineData("""["3","3","echo:1","phx_join",{}""")]
    [InlineData("""["3","3","echo:1","phx_join"]""")]
    [InlineData("""["3","3","echo:1","phx_join",{},1]""")]
    [InlineData("""{"topic":"echo:1"}""")]
    [InlineData("""["3",3,"echo:1","phx_join",{}]""")]
    [InlineData("""[3,"3","echo:1","phx_join",{}]""")]
    [InlineData("""["3","3",1,"phx_join",{}]""")]
    [InlineData("""["3","3","echo:1",null,{}]""")]
    [InlineData("""["3","3","echo:1","phx_join",[]]""")]
    [InlineData("""["3","3","echo:1","phx_join","x"]""")]
    [InlineData("\"just a string\"")]
    [InlineData("""["3","3","echo:\ud800","phx_join",{}]""")]
    [InlineData("""["\udc00","3","echo:1","phx_join",{}]""")]
    public async Task Undecodable_text_frame_closes_only_that_socket_with_1007(string frame)
    {
        await using var server = await TestServer.StartAsync();
        await using var bad = await server.ConnectAsync();
        await using var good = await server.ConnectAsync();
        await good.JoinOkAsync("echo:1", "3");

        await bad.SendAsync(frame);

        Frame close = await bad.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, close.CloseStatus);
        Assert.False(string.IsNullOrEmpty(close.CloseDescription));
        await good.HeartbeatAsync("4");
        await good.SendAsync("""["3","5","echo:1","new_msg",{}]""");
        Assert.Equal("ok", (await good.ReceiveAsync()).Status);
        Assert.Equal(1, server.Metrics.MalformedFrameCloses);
    }

    [Fact]
    public async Task Invalid_UTF8_text_frame_is_malformed()
    {
        await using var server = await TestServer.StartAsync();
        await using var bad = await server.ConnectAsync();

        // ClientWebSocket sends the bytes as given; the JSON reader rejects the invalid UTF-8.
        await bad.SendAsync([(byte)'[', (byte)'"', 0xff, (byte)'"', (byte)']'], WebSocketMessageType.Text);

        Frame close = await bad.ReceiveCloseAsync();
        Assert.True(close.CloseStatus == WebSocketCloseStatus.InvalidPayloadData, $"{close.CloseStatus} {close.Error}");
    }

    [Fact]
    public async Task Replies_queued_before_the_bad_frame_are_still_delivered()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();

        await client.SendAsync("""[null,"1","phoenix","heartbeat",{}]""");
        await client.SendAsync("not json");

        Assert.Equal("""[null,"1","phoenix","phx_reply",{"status":"ok","response":{}}]""", (await client.ReceiveAsync()).Raw);
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, (await client.ReceiveCloseAsync()).CloseStatus);
    }
}

using System.Net.WebSockets;
using Confab.Channels.Tests.Infrastructure;

namespace Confab.Channels.Tests;

/// <summary>PHOENIX_PROTOCOL 1.4: vsn 1.x or no vsn speaks JSON objects without join_ref on the way out.</summary>
public sealed class V1ProtocolTests
{
    [Theory]
    [InlineData("token=good")]
    [InlineData("token=good&vsn=1.0.0")]
    public async Task Join_and_push_round_trip_as_objects(string query)
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync(query);

        await client.SendAsync("""{"topic":"echo:1","event":"phx_join","payload":{"a":1},"ref":"1"}""");
        Assert.Equal("""{"topic":"echo:1","event":"phx_reply","ref":"1","payload":{"status":"ok","response":{"a":1}}}""", (await client.ReceiveFrameAsync()).Text);

        await client.SendAsync("""{"topic":"echo:1","event":"new_msg","payload":{"body":"hi"},"ref":"2","join_ref":"1"}""");
        Assert.Equal("""{"topic":"echo:1","event":"phx_reply","ref":"2","payload":{"status":"ok","response":{"body":"hi"}}}""", (await client.ReceiveFrameAsync()).Text);

        await client.SendAsync("""{"topic":"echo:1","event":"push","payload":{"n":1},"ref":"3"}""");
        Assert.Equal("""{"topic":"echo:1","event":"server_push","ref":null,"payload":{"n":1}}""", (await client.ReceiveFrameAsync()).Text);
    }

    [Fact]
    public async Task Heartbeat_leave_and_close()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync("token=good&vsn=1.0.0");

        await client.SendAsync("""{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"1"}""");
        Assert.Equal("""{"topic":"phoenix","event":"phx_reply","ref":"1","payload":{"status":"ok","response":{}}}""", (await client.ReceiveFrameAsync()).Text);

        await client.SendAsync("""{"topic":"echo:1","event":"phx_join","payload":{},"ref":"2"}""");
        Assert.Contains("\"status\":\"ok\"", (await client.ReceiveFrameAsync()).Text, StringComparison.Ordinal);
        await client.SendAsync("""{"topic":"echo:1","event":"phx_leave","payload":{},"ref":"3"}""");
        Assert.Equal("""{"topic":"echo:1","event":"phx_reply","ref":"3","payload":{"status":"ok","response":{}}}""", (await client.ReceiveFrameAsync()).Text);
        Assert.Equal("""{"topic":"echo:1","event":"phx_close","ref":"2","payload":{}}""", (await client.ReceiveFrameAsync()).Text);
    }

    [Fact]
    public async Task One_broadcast_reaches_V1_and_V2_sockets_in_their_own_format()
    {
        await using var server = await TestServer.StartAsync();
        await using var v1 = await server.ConnectAsync("token=good&vsn=1.0.0");
        await using var v2 = await server.ConnectAsync();
        await v1.SendAsync("""{"topic":"echo:mixed","event":"phx_join","payload":{},"ref":"1"}""");
        await v1.ReceiveFrameAsync();
        await v2.JoinOkAsync("echo:mixed", "3");

        await server.PubSub.BroadcastAsync(new Broadcast("echo:mixed", "new_msg", JsonPayload.Parse("""{"body":"hello"}""")));

        Assert.Equal("""{"topic":"echo:mixed","event":"new_msg","ref":null,"payload":{"body":"hello"}}""", (await v1.ReceiveFrameAsync()).Text);
        Assert.Equal("""[null,null,"echo:mixed","new_msg",{"body":"hello"}]""", (await v2.ReceiveAsync()).Raw);
    }

    [Theory]
    [InlineData("""{"topic":"echo:1","event":"phx_join","payload":{}}""")]
    [InlineData("""{"topic":"echo:1","payload":{},"ref":"1"}""")]
    [InlineData("""{"event":"phx_join","payload":{},"ref":"1"}""")]
    [InlineData("""{"topic":"echo:1","event":"phx_join","ref":"1"}""")]
    [InlineData("""{"topic":"echo:1","event":"phx_join","payload":[],"ref":"1"}""")]
    [InlineData("""{"topic":"echo:1","event":"phx_join","payload":{},"ref":1}""")]
    [InlineData("""["1","1","echo:1","phx_join",{}]""")]
    public async Task Object_with_missing_or_wrong_fields_closes_with_1007(string frame)
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync("token=good&vsn=1.0.0");

        await client.SendAsync(frame);

        Frame close = await client.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, close.CloseStatus);
    }

    [Fact]
    public async Task Binary_frame_on_V1_closes_with_1003()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync("token=good&vsn=1.0.0");

        await client.SendBinaryAsync([0, 0, 0, 1, 1, (byte)'t', (byte)'e']);

        Frame close = await client.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, close.CloseStatus);
    }
}

using System.Net.WebSockets;
using Confab.Channels.Tests.Infrastructure;

namespace Confab.Channels.Tests;

/// <summary>PHOENIX_PROTOCOL 1.5: V2 binary frames, byte for byte as recorded with the official client.</summary>
public sealed class BinaryFrameTests
{
    [Fact]
    public async Task Recorded_binary_push_reply_server_push_and_broadcast()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();
        await client.JoinOkAsync("bin:1", "3");

        // C>S 00 01 01 05 06 | 33 | 34 | "bin:1" | "upload" | 01 02 03
        await client.SendBinaryAsync(Hex("00 01 01 05 06 33 34 62 69 6e 3a 31 75 70 6c 6f 61 64 01 02 03"));
        Assert.Equal(Hex("01 01 01 05 02 33 34 62 69 6e 3a 31 6f 6b 01 02 03"), await client.ReceiveBinaryAsync());

        await client.SendAsync("""["3","5","bin:1","push_binary",{}]""");
        Assert.Equal(Hex("00 01 05 08 33 62 69 6e 3a 31 62 69 6e 5f 70 75 73 68 ca fe"), await client.ReceiveBinaryAsync());

        await server.PubSub.BroadcastAsync(Broadcast.CreateBinary("bin:1", "bin_bcast", new byte[] { 0xbe, 0xef }));
        Assert.Equal(Hex("02 05 09 62 69 6e 3a 31 62 69 6e 5f 62 63 61 73 74 be ef"), await client.ReceiveBinaryAsync());
    }

    [Fact]
    public async Task Binary_push_to_a_topic_not_joined_is_unmatched_topic()
    {
        await using var server = await TestServer.StartAsync();
        await using var client = await server.ConnectAsync();

        await client.SendBinaryAsync(Hex("00 01 01 05 06 33 34 62 69 6e 3a 31 75 70 6c 6f 61 64 01 02 03"));

        Assert.Equal("""[null,"4","bin:1","phx_reply",{"status":"error","response":{"reason":"unmatched topic"}}]""", (await client.ReceiveAsync()).Raw);
    }

    [Fact]
    public async Task Binary_broadcast_skips_V1_sockets()
    {
        await using var server = await TestServer.StartAsync();
        await using var v1 = await server.ConnectAsync("token=good&vsn=1.0.0");
        await v1.SendAsync("""{"topic":"bin:1","event":"phx_join","payload":{},"ref":"1"}""");
        await v1.ReceiveFrameAsync();

        await server.PubSub.BroadcastAsync(Broadcast.CreateBinary("bin:1", "bin_bcast", new byte[] { 1 }));

        await v1.ExpectNothingAsync();
    }

    [Theory]
    [InlineData("01 01 01 05 02 33 34 62 69 6e 3a 31 6f 6b")] // kind 1 (reply) is server-to-client only
    [InlineData("02 05 09 62 69 6e")] // kind 2 (broadcast) likewise
    [InlineData("00 01 01 05")] // header cut short
    [InlineData("00 01 01 05 06 33 34 62 69 6e")] // lengths beyond the frame
    [InlineData("00 00 00 02 01 ff fe 65")] // topic is not UTF-8
    public async Task Invalid_binary_header_closes_with_1007_and_other_sockets_keep_working(string hex)
    {
        await using var server = await TestServer.StartAsync();
        await using var bad = await server.ConnectAsync();
        await using var good = await server.ConnectAsync();

        await bad.SendBinaryAsync(Hex(hex));

        Frame close = await bad.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.InvalidPayloadData, close.CloseStatus);
        await good.HeartbeatAsync("1");
    }

    private static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));
}

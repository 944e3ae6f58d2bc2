using System.Net.WebSockets;
using System.Text;
using Confab.Channels.Tests.Infrastructure;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Confab.Channels.Tests;

/// <summary>Frame size, idle timeout and option validation (DESIGN limits, PHOENIX_PROTOCOL 5).</summary>
public sealed class LimitTests
{
    [Fact]
    public async Task Frame_larger_than_MaxFrameBytes_closes_with_1009_and_others_keep_working()
    {
        await using var server = await TestServer.StartAsync(o => o.MaxFrameBytes = 1024);
        await using var big = await server.ConnectAsync();
        await using var other = await server.ConnectAsync();

        await big.SendAsync(Heartbeat(2000));

        Frame close = await big.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, close.CloseStatus);
        Assert.Equal("frame too large", close.CloseDescription);
        Assert.Equal(1, server.Metrics.FrameTooLargeCloses);
        await other.HeartbeatAsync("2");
    }

    [Fact]
    public async Task Frame_of_exactly_MaxFrameBytes_sent_in_fragments_is_accepted()
    {
        await using var server = await TestServer.StartAsync(o => o.MaxFrameBytes = 1024);
        await using var client = await server.ConnectAsync();
        byte[] frame = Encoding.UTF8.GetBytes(Heartbeat(1024));
        Assert.Equal(1024, frame.Length);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        for (int offset = 0; offset < frame.Length; offset += 100)
        {
            int count = Math.Min(100, frame.Length - offset);
            await client.Socket.SendAsync(frame.AsMemory(offset, count), WebSocketMessageType.Text, offset + count == frame.Length, timeout.Token);
        }

        Assert.Equal("""[null,"1","phoenix","phx_reply",{"status":"ok","response":{}}]""", (await client.ReceiveAsync()).Raw);
    }

    [Fact]
    public async Task Oversized_frame_in_fragments_closes_with_1009_before_it_ends()
    {
        await using var server = await TestServer.StartAsync(o => o.MaxFrameBytes = 1024);
        await using var client = await server.ConnectAsync();
        byte[] chunk = Encoding.UTF8.GetBytes(new string('x', 512));

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await client.Socket.SendAsync(Encoding.UTF8.GetBytes("[null,\"1\",\"phoenix\",\"heartbeat\",{\"p\":\""), WebSocketMessageType.Text, false, timeout.Token);
        for (int i = 0; i < 3; i++)
        {
            await client.Socket.SendAsync(chunk, WebSocketMessageType.Text, false, timeout.Token);
        }

        // The message never ended, yet the server has already refused it.
        Frame close = await client.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, close.CloseStatus);
    }

    [Fact]
    public async Task Idle_socket_is_closed_after_IdleTimeout_without_received_frames()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var server = await TestServer.StartAsync(timeProvider: time);
        await using var client = await server.ConnectAsync();
        await client.HeartbeatAsync("1");

        time.Advance(TimeSpan.FromSeconds(59));
        await client.HeartbeatAsync("2");
        time.Advance(TimeSpan.FromSeconds(59));
        await client.HeartbeatAsync("3");
        await client.ExpectNothingAsync(TimeSpan.FromMilliseconds(100));
        Assert.Equal(0, server.Metrics.IdleTimeoutCloses);

        time.Advance(TimeSpan.FromSeconds(61));

        Frame close = await client.ReceiveCloseAsync();
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, close.CloseStatus);
        Assert.Equal("idle timeout", close.CloseDescription);
        Assert.Equal(1, server.Metrics.IdleTimeoutCloses);
    }

    [Fact]
    public async Task Idle_timeout_works_on_the_system_clock()
    {
        await using var server = await TestServer.StartAsync(o =>
        {
            o.IdleTimeout = TimeSpan.FromSeconds(2);
            // Room for the close frame to go out on a loaded machine (with 500 ms it was once aborted unsent while a build
            // ran beside the suite): this test is about the idle timeout, not the close handshake's.
            o.CloseTimeout = TimeSpan.FromMilliseconds(1500);
        });
        // Started before connecting: the server's idle timer cannot start earlier than this.
        var started = System.Diagnostics.Stopwatch.StartNew();
        await using var client = await server.ConnectAsync();

        Frame close = await client.ReceiveCloseAsync(TimeSpan.FromSeconds(7));

        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, close.CloseStatus);
        Assert.InRange(started.Elapsed, TimeSpan.FromMilliseconds(1900), TimeSpan.FromSeconds(6));
    }

    [Fact]
    public async Task Inconsistent_options_fail_at_start_up_naming_the_settings()
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => TestServer.StartAsync(o =>
        {
            o.OutboundQueueCapacity = 16;
            o.MaxPendingRepliesPerSocket = 100;
        }));

        Assert.Contains("MaxPendingRepliesPerSocket", error.Message, StringComparison.Ordinal);
        Assert.Contains("OutboundQueueCapacity", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Option_setters_reject_out_of_range_values()
    {
        var options = new ChannelOptions();

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => options.MaxFrameBytes = 0);
        Assert.Contains("ChannelOptions.MaxFrameBytes", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.IdleTimeout = TimeSpan.Zero);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.MaxChannelsPerSocket = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.OutboundQueueCapacity = 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.MaxPendingRepliesPerSocket = -1);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.CloseTimeout = TimeSpan.FromHours(1));
        Assert.Equal(64 * 1024, options.MaxFrameBytes);
        Assert.Equal(TimeSpan.FromSeconds(60), options.IdleTimeout);
        Assert.Equal(100, options.MaxChannelsPerSocket);
        Assert.Equal(1024, options.OutboundQueueCapacity);
        Assert.Equal(100, options.MaxPendingRepliesPerSocket);
    }

    /// <summary>A heartbeat padded to exactly <paramref name="length"/> bytes.</summary>
    private static string Heartbeat(int length)
    {
        const string head = "[null,\"1\",\"phoenix\",\"heartbeat\",{\"p\":\"";
        const string tail = "\"}]";
        return head + new string('x', length - head.Length - tail.Length) + tail;
    }
}

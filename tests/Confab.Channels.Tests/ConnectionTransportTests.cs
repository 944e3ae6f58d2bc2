using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Confab.Channels.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Confab.Channels.Tests;

/// <summary>
/// <c>UsePhoenixSockets</c>: upgrades served straight from the connection, everything else left to Kestrel. (The rest of
/// the suite runs this way by default, and once more through the pipeline with <c>CHANNELS_TEST_TRANSPORT=pipeline</c>.)
/// </summary>
public sealed class ConnectionTransportTests
{
    [Fact]
    public async Task Sockets_are_served_from_the_connection_and_other_requests_reach_kestrel()
    {
        await using var server = await TestServer.StartAsync(fromConnection: true);

        await using (var client = await server.ConnectAsync())
        {
            Assert.Equal("ok", (await client.JoinAsync("echo:1", "1")).Status);
        }

        Assert.Contains(server.Logs.Entries, e => e.EventId.Id == 1 && e.Message.EndsWith("served from the connection, writing to its socket).", StringComparison.Ordinal));
        using var http = new HttpClient();
        Assert.Equal("not a socket", await http.GetStringAsync(server.BaseAddress));

        // Not an upgrade: Kestrel serves it, and the endpoint in the pipeline answers as always.
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync(new Uri(server.BaseAddress, "/socket/websocket?vsn=2.0.0"))).StatusCode);
        Assert.DoesNotContain(server.Logs.Entries, e => e.Message.Contains("served from the request", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_101_answer_follows_rfc_6455()
    {
        await using var server = await TestServer.StartAsync(fromConnection: true);
        string request = RawHttp.UpgradeRequest(server.BaseAddress, "GET", "/socket/websocket?token=good&vsn=2.0.0")
            .Replace("\r\n\r\n", "\r\nSec-WebSocket-Protocol: phoenix\r\n\r\n", StringComparison.Ordinal);

        RawResponse response = await RawHttp.SendAsync(server.BaseAddress, request);

        Assert.Equal(101, response.StatusCode);
        Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", response.Headers["Sec-WebSocket-Accept"]); // RFC 6455 section 1.3's example
        Assert.Equal("websocket", response.Headers["Upgrade"]);
        Assert.Equal("Upgrade", response.Headers["Connection"]);
        Assert.Equal("phoenix", response.Headers["Sec-WebSocket-Protocol"]);
    }

    [Theory]
    [InlineData("token=bad&vsn=2.0.0", 403)]
    [InlineData("token=good&vsn=3.0.0", 403)]
    public async Task A_refusal_is_answered_with_an_empty_body_and_the_connection_closes(string query, int status)
    {
        await using var server = await TestServer.StartAsync(fromConnection: true);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.BaseAddress.Host, server.BaseAddress.Port);
        NetworkStream stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(RawHttp.UpgradeRequest(server.BaseAddress, "GET", $"/socket/websocket?{query}")));

        string answer = await ReadToEndAsync(stream);

        Assert.StartsWith($"HTTP/1.1 {status} ", answer, StringComparison.Ordinal);
        Assert.Contains("\r\nContent-Length: 0\r\n", answer, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_head_arriving_in_pieces_and_a_frame_sent_with_its_end_are_both_read()
    {
        await using var server = await TestServer.StartAsync(fromConnection: true);
        using var tcp = new TcpClient { NoDelay = true };
        await tcp.ConnectAsync(server.BaseAddress.Host, server.BaseAddress.Port);
        NetworkStream stream = tcp.GetStream();
        byte[] head = Encoding.ASCII.GetBytes(RawHttp.UpgradeRequest(server.BaseAddress, "GET", "/socket/websocket?token=good&vsn=2.0.0"));
        for (int i = 0; i < head.Length - 10; i += 7)
        {
            await stream.WriteAsync(head.AsMemory(i, Math.Min(7, head.Length - 10 - i)));
            await Task.Delay(2);
        }

        byte[] join = MaskedTextFrame("""["1","1","echo:1","phx_join",{}]""");
        byte[] end = [.. head[^10..], .. join];
        await stream.WriteAsync(end);

        using var timeout = new CancellationTokenSource(TestServer.Timeout);
        string received = string.Empty;
        while (!received.Contains("phx_reply", StringComparison.Ordinal))
        {
            var buffer = new byte[4096];
            int read = await stream.ReadAsync(buffer, timeout.Token);
            Assert.True(read > 0, "closed before the join reply: " + received);
            received += Encoding.ASCII.GetString(buffer, 0, read);
        }

        Assert.StartsWith("HTTP/1.1 101 ", received, StringComparison.Ordinal);
        Assert.Contains("""["1","1","echo:1","phx_reply",{"status":"ok",""", received, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_upgrade_the_handler_does_not_take_goes_through_the_pipeline()
    {
        await using var server = await TestServer.StartAsync(fromConnection: true);

        // An escaped path is Kestrel's to decode: the same socket, through the request pipeline.
        RawResponse response = await RawHttp.SendAsync(server.BaseAddress, RawHttp.UpgradeRequest(server.BaseAddress, "GET", "/socket/%77ebsocket?token=good&vsn=2.0.0"));

        Assert.Equal(101, response.StatusCode);

        // Two Host headers: not taken either, and Kestrel refuses the request.
        string twoHosts = RawHttp.UpgradeRequest(server.BaseAddress, "GET", "/socket/websocket?token=good&vsn=2.0.0")
            .Replace("\r\n\r\n", "\r\nHost: example.com\r\n\r\n", StringComparison.Ordinal);
        Assert.Equal(400, (await RawHttp.SendAsync(server.BaseAddress, twoHosts)).StatusCode);

        using var timeout = new CancellationTokenSource(TestServer.Timeout);
        while (!server.Logs.Entries.Any(e => e.EventId.Id == 1 && e.Message.EndsWith("served from the request).", StringComparison.Ordinal)))
        {
            await Task.Delay(10, timeout.Token);
        }
    }

    [Fact]
    public async Task Behind_connection_middleware_that_wraps_the_transport_frames_go_through_its_pipes()
    {
        var logs = new LogSink();
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(listen =>
        {
            // As TLS would: the bytes pass through another pipe pair, so writing to the socket itself would bypass it.
            listen.Use(next => connection =>
            {
                connection.Transport = new CountingPipe(connection.Transport);
                return next(connection);
            });
            listen.UsePhoenixSockets();
        }));
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Logging.AddProvider(logs);
        builder.Services.AddSingleton<Probe>();
        builder.Services.AddPhoenixChannels().AddPhoenixSocket<TestSocket>();
        await using WebApplication app = builder.Build();
        app.MapPhoenixSocket<TestSocket>("/socket");
        await app.StartAsync().WaitAsync(TestServer.Timeout);
        var authority = new Uri(app.Urls.Single()).Authority;

        await using (var client = await PhoenixTestClient.ConnectAsync(new Uri($"ws://{authority}/socket/websocket?token=good&vsn=2.0.0")))
        {
            Assert.Equal("ok", (await client.JoinAsync("echo:1", "1")).Status);
            await client.SendAsync("""["1","2","echo:1","echo",{"n":1}]""");
            Assert.Equal("2", (await client.ReceiveAsync()).Ref);
        }

        Assert.Contains(logs.Entries, e => e.EventId.Id == 1 && e.Message.EndsWith("served from the connection).", StringComparison.Ordinal));
        Assert.True(CountingPipe.Written > 0);
        await app.StopAsync().WaitAsync(TestServer.Timeout);
    }

    private static async Task<string> ReadToEndAsync(NetworkStream stream)
    {
        using var timeout = new CancellationTokenSource(TestServer.Timeout);
        var received = new MemoryStream();
        var buffer = new byte[4096];
        int read;
        while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
        {
            received.Write(buffer, 0, read);
        }

        return Encoding.ASCII.GetString(received.ToArray());
    }

    /// <summary>The transport's pipes, wrapped; counts what is written through its output.</summary>
    private sealed class CountingPipe(IDuplexPipe inner) : IDuplexPipe
    {
        private static long s_written;

        public static long Written => Interlocked.Read(ref s_written);

        public PipeReader Input => inner.Input;

        public PipeWriter Output { get; } = new CountingWriter(inner.Output);

        private sealed class CountingWriter(PipeWriter writer) : PipeWriter
        {
            public override void Advance(int bytes)
            {
                Interlocked.Add(ref s_written, bytes);
                writer.Advance(bytes);
            }

            public override void CancelPendingFlush() => writer.CancelPendingFlush();

            public override void Complete(Exception? exception = null) => writer.Complete(exception);

            public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default) => writer.FlushAsync(cancellationToken);

            public override Memory<byte> GetMemory(int sizeHint = 0) => writer.GetMemory(sizeHint);

            public override Span<byte> GetSpan(int sizeHint = 0) => writer.GetSpan(sizeHint);
        }
    }

    private static byte[] MaskedTextFrame(string text)
    {
        byte[] payload = Encoding.UTF8.GetBytes(text);
        Assert.True(payload.Length < 126);
        byte[] mask = [0x12, 0x34, 0x56, 0x78];
        var frame = new byte[2 + 4 + payload.Length];
        frame[0] = 0x81;
        frame[1] = (byte)(0x80 | payload.Length);
        mask.CopyTo(frame, 2);
        for (int i = 0; i < payload.Length; i++)
        {
            frame[6 + i] = (byte)(payload[i] ^ mask[i % 4]);
        }

        return frame;
    }
}

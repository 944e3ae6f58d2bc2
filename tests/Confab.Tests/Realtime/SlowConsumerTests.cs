using System.Diagnostics;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Confab.Channels;
using Confab.Messages;
using Confab.Rooms;
using Confab.Tests.Infrastructure;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Confab.Tests.Realtime;

/// <summary>
/// A member that stops reading while 500 messages/s flow through its room must not slow the others, must be
/// disconnected once its queue overflows, and must not make the server's memory grow without bound.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class SlowConsumerTests(ITestOutputHelper output)
{
    private const int Rate = 500;

    [Fact]
    public async Task A_member_that_stops_reading_is_cut_off_without_delaying_the_others()
    {
        await using var app = new ConfabFactory(new()
        {
            ["Confab:Messages:RateLimitCount"] = "1000000",
        });
        // Small server-side socket buffers (accepted sockets inherit them), so the stalled member's outbound
        // queue fills in seconds rather than after megabytes of kernel buffering.
        app.ConfigureTestServices(services => services.Configure<SocketTransportOptions>(options => options.CreateBoundListenSocket = endpoint =>
        {
            var socket = SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
            socket.SendBufferSize = 16 * 1024;
            return socket;
        }));
        var address = app.StartKestrel();
        var token = ConfabFactory.TokenOf(await app.ClientForNewUserAsync("alice"));
        var metrics = app.Services.GetRequiredService<ChannelsMetrics>();
        var log = app.Services.GetRequiredService<MessageLog>();
        var general = (await app.Services.GetRequiredService<RoomDirectory>().GetAsync("general"))!;
        var author = new MessageAuthor(1, "alice");
        var padding = new string('x', 1900); // ~2 KB frames: the stalled queue fills quickly

        var members = new List<Member>();
        for (var i = 0; i < 3; i++)
        {
            members.Add(await Member.JoinAsync(address, token));
        }

        // Phase 1: everyone reads.
        await SendAsync(log, general, author, padding, TimeSpan.FromSeconds(2), "before");
        var before = members.SelectMany(m => m.LatenciesFor("before")).Order().ToArray();
        GC.Collect();
        var memoryBefore = GC.GetTotalMemory(forceFullCollection: true);

        // Phase 2: one more member joins and never reads again.
        using var stalled = await StalledMember.JoinAsync(address, token);
        var sent = await SendAsync(log, general, author, padding, TimeSpan.FromSeconds(5), "during");
        await WaitUntilAsync(() => metrics.SlowConsumerCloses >= 1, TimeSpan.FromSeconds(20), "the stalled member to be cut off");
        await WaitUntilAsync(() => members.All(m => m.LatenciesFor("during").Count == sent), TimeSpan.FromSeconds(10), "every reading member to get every message");
        var during = members.SelectMany(m => m.LatenciesFor("during")).Order().ToArray();
        GC.Collect();
        var memoryAfter = GC.GetTotalMemory(forceFullCollection: true);

        var p99Before = Percentile(before, 0.99);
        var p99During = Percentile(during, 0.99);
        output.WriteLine($"delivery p50/p99 ms: {Percentile(before, 0.5):F1}/{p99Before:F1} without a stalled member, {Percentile(during, 0.5):F1}/{p99During:F1} with one; managed memory {(memoryAfter - memoryBefore) / 1024.0 / 1024:F1} MiB apart");
        Assert.True(p99During <= 3 * p99Before + 25, $"p99 delivery latency {p99During:F1} ms with a stalled member, {p99Before:F1} ms without");
        Assert.True(memoryAfter - memoryBefore < 64L * 1024 * 1024, $"managed memory grew by {(memoryAfter - memoryBefore) / 1024 / 1024} MiB");
        foreach (var member in members)
        {
            await member.DisposeAsync();
        }
    }

    private static async Task<int> SendAsync(MessageLog log, Room room, MessageAuthor author, string padding, TimeSpan duration, string phase)
    {
        var clock = Stopwatch.StartNew();
        var sent = 0;
        var tick = TimeSpan.FromMilliseconds(20);
        var perTick = Rate * tick.TotalSeconds;
        while (clock.Elapsed < duration)
        {
            var due = TimeSpan.FromTicks(tick.Ticks * (sent / (int)perTick));
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed);
            }

            var batch = Enumerable.Range(0, (int)perTick)
                .Select(_ => log.AppendAsync(room, author, $"{phase}:{Stopwatch.GetTimestamp()}:{padding}", null).AsTask());
            sent += (await Task.WhenAll(batch).WaitAsync(TimeSpan.FromSeconds(10))).Length;
        }

        return sent;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < timeout, $"timed out waiting for {what}");
            await Task.Delay(20);
        }
    }

    private static Uri SocketUri(Uri address, string token) =>
        new($"ws://{address.Authority}/socket/websocket?token={Uri.EscapeDataString(token)}&vsn=2.0.0");

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    /// <summary>A member that reads everything and records each message's delivery latency by phase.</summary>
    private sealed class Member : IAsyncDisposable
    {
        private readonly ClientWebSocket socket = new();
        private readonly Dictionary<string, List<double>> latencies = [];
        private Task? reader;

        public static async Task<Member> JoinAsync(Uri address, string token)
        {
            var member = new Member();
            await member.socket.ConnectAsync(SocketUri(address, token), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
            await member.socket.SendAsync(Encoding.UTF8.GetBytes("""["1","1","room:general","phx_join",{}]"""), WebSocketMessageType.Text, true, CancellationToken.None);
            member.reader = Task.Run(member.ReadAsync);
            return member;
        }

        public List<double> LatenciesFor(string phase)
        {
            lock (latencies)
            {
                return latencies.TryGetValue(phase, out var list) ? [.. list] : [];
            }
        }

        private async Task ReadAsync()
        {
            var buffer = new byte[64 * 1024];
            while (socket.State == WebSocketState.Open)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
                    length += result.Count;
                }
                while (!result.EndOfMessage);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                using var frame = JsonDocument.Parse(buffer.AsMemory(0, length));
                if (frame.RootElement[3].GetString() != "new_message")
                {
                    continue;
                }

                var parts = frame.RootElement[4].GetProperty("content").GetString()!.Split(':', 3);
                var latency = Stopwatch.GetElapsedTime(long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)).TotalMilliseconds;
                lock (latencies)
                {
                    if (!latencies.TryGetValue(parts[0], out var list))
                    {
                        latencies[parts[0]] = list = [];
                    }

                    list.Add(latency);
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
            await reader!.WaitAsync(TimeSpan.FromSeconds(5));
            socket.Dispose();
        }
    }

    /// <summary>A member that joins over a raw TCP socket with a tiny receive buffer and then never reads.</summary>
    private sealed class StalledMember : IDisposable
    {
        private readonly Socket socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };

        public static async Task<StalledMember> JoinAsync(Uri address, string token)
        {
            var member = new StalledMember();
            await member.socket.ConnectAsync(address.Host, address.Port).WaitAsync(TimeSpan.FromSeconds(5));
            var handshake =
                $"GET /socket/websocket?token={Uri.EscapeDataString(token)}&vsn=2.0.0 HTTP/1.1\r\nHost: {address.Authority}\r\n"
                + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
            await member.socket.SendAsync(Encoding.ASCII.GetBytes(handshake));
            var response = new byte[1024];
            var read = await member.socket.ReceiveAsync(response).WaitAsync(TimeSpan.FromSeconds(5));
            Assert.StartsWith("HTTP/1.1 101", Encoding.ASCII.GetString(response, 0, read), StringComparison.Ordinal);
            await member.socket.SendAsync(MaskedTextFrame("""["1","1","room:general","phx_join",{}]"""));
            return member;
        }

        private static byte[] MaskedTextFrame(string text)
        {
            var payload = Encoding.UTF8.GetBytes(text);
            var frame = new byte[2 + 4 + payload.Length];
            frame[0] = 0x81;
            frame[1] = (byte)(0x80 | payload.Length);
            byte[] mask = [1, 2, 3, 4];
            mask.CopyTo(frame, 2);
            for (var i = 0; i < payload.Length; i++)
            {
                frame[6 + i] = (byte)(payload[i] ^ mask[i % 4]);
            }

            return frame;
        }

        public void Dispose() => socket.Dispose();
    }
}

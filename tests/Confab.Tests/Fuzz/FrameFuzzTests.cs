using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;
using Confab.Channels;
using Confab.Tests.Infrastructure;
using CsCheck;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Confab.Tests.Fuzz;

/// <summary>
/// 100,000 random and mutated frames, text and binary, over real sockets to a real server. Every well-formed frame is
/// answered (or ignored where the protocol says so); a hostile frame is answered, ignored, or closes that one socket with
/// a protocol close code and a reason; nothing escapes the socket loop (no error log, no 1011, no crashed channel); and a
/// bystander socket keeps chatting throughout.
/// </summary>
public sealed class FrameFuzzTests(ITestOutputHelper output)
{
    private const int Fuzzers = 4;
    private const int TotalFrames = 100_000;
    private static readonly WebSocketCloseStatus[] ProtocolCloses =
        [WebSocketCloseStatus.InvalidPayloadData, WebSocketCloseStatus.InvalidMessageType, WebSocketCloseStatus.MessageTooBig];

    [Fact]
    public async Task The_socket_survives_100000_random_and_mutated_frames()
    {
        await using var app = new ConfabFactory();
        var logs = LogCapture.AddTo(app);
        var address = app.StartKestrel();
        var tokens = new List<string>();
        for (var i = 0; i <= Fuzzers; i++)
        {
            tokens.Add(ConfabFactory.TokenOf(await app.ClientForNewUserAsync($"fuzzer{i}")));
        }

        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(150));
        var bystander = Task.Run(() => BystanderAsync(address, tokens[Fuzzers], stop.Token));
        var results = await Task.WhenAll(Enumerable.Range(0, Fuzzers).Select(i => Task.Run(() => FuzzAsync(address, tokens[i], TotalFrames / Fuzzers, stop.Token))));
        await stop.CancelAsync();
        var chats = await bystander.WaitAsync(TimeSpan.FromSeconds(30));

        var sent = results.Sum(r => r.Frames);
        output.WriteLine($"{sent} frames in {clock.Elapsed.TotalSeconds:F1} s on {results.Sum(r => r.Connections)} connections; " +
            $"closes by code: {string.Join(", ", results.SelectMany(r => r.Closes).GroupBy(c => c).Select(g => $"{g.Key} x{g.Count()}"))}; " +
            $"kinds: {string.Join(", ", results.SelectMany(r => r.Kinds).GroupBy(k => k.Key).Select(g => $"{g.Key} {g.Sum(k => k.Value)}"))}; bystander round trips {chats}");
        Assert.True(sent >= TotalFrames, $"only {sent} frames were sent");
        Assert.True(chats >= 20, $"the bystander completed only {chats} round trips");
        var metrics = app.Services.GetRequiredService<ChannelsMetrics>();
        Assert.Equal(0, metrics.ChannelCrashes);
        Assert.Empty(logs.Errors);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await app.CreateClient().GetAsync("/readyz")).StatusCode);
    }

    private sealed record FuzzResult(int Frames, int Connections, List<WebSocketCloseStatus?> Closes, Dictionary<string, int> Kinds);

    private static async Task<FuzzResult> FuzzAsync(Uri address, string token, int frames, CancellationToken cancellationToken)
    {
        var nextRef = 0L;
        string NextRef() => "f" + Interlocked.Increment(ref nextRef).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var wellFormed = FrameGenerators.WellFormed(NextRef);
        var hostile = FrameGenerators.Hostile(NextRef);
        var pcg = PCG.ThreadPCG;
        var result = new FuzzResult(0, 0, [], []);
        var sent = 0;
        var connections = 0;
        SocketClient? socket = null;
        try
        {
            while (sent < frames)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (socket is null)
                {
                    socket = await SocketClient.ConnectAsync(address, token);
                    connections++;
                }

                // A batch of well-formed frames: each must be answered, and none may close the socket.
                var batch = Enumerable.Range(0, Random.Shared.Next(4, 40)).Select(i => wellFormed.Generate(pcg, null!, out _)).ToList();
                foreach (var frame in batch)
                {
                    await socket.SendAsync(frame.Bytes, WebSocketMessageType.Text);
                    Count(result.Kinds, frame.Kind);
                }

                sent += batch.Count;
                var sentinel = NextRef();
                await socket.SendAsync(FrameGenerators.Heartbeat(sentinel), WebSocketMessageType.Text);
                await ExpectRepliesAsync(socket, [.. Answerable(batch), sentinel], batch);

                // Then one hostile frame: answered, ignored, or this socket closed with a protocol code and a reason.
                var attack = hostile.Generate(pcg, null!, out _);
                Count(result.Kinds, attack.Kind);
                sent++;
                var closed = await SendHostileAsync(socket, attack, NextRef());
                if (closed is not null)
                {
                    // Text that is not UTF-8 is refused by .NET's WebSocket itself: it sends 1007 without text (RFC 6455
                    // section 8.1) and aborts the connection at once, so the client may see the 1007 or only the reset.
                    var notUtf8 = !attack.Binary && !System.Text.Unicode.Utf8.IsValid(attack.Bytes);
                    var withReason = closed.CloseStatus is { } status && ProtocolCloses.Contains(status) && !string.IsNullOrEmpty(closed.CloseDescription);
                    var byTheWebSocket = notUtf8 && closed.CloseStatus is null or WebSocketCloseStatus.InvalidPayloadData;
                    Assert.True(withReason || byTheWebSocket,
                        $"a {attack.Kind} frame closed the socket with {closed.CloseStatus} '{closed.CloseDescription}': {Convert.ToBase64String(attack.Bytes.AsSpan(0, Math.Min(300, attack.Bytes.Length)))}");
                    result.Closes.Add(closed.CloseStatus);
                    await socket.DisposeAsync();
                    socket = null;
                }
            }
        }
        finally
        {
            if (socket is not null)
            {
                await socket.DisposeAsync();
            }
        }

        return result with { Frames = sent, Connections = connections };
    }

    /// <summary>
    /// The refs that must be answered: every frame with one, except a push whose channel a later frame of the batch leaves
    /// or joins again (a handler still awaiting its commit then ends with its channel, without a reply).
    /// </summary>
    private static IEnumerable<string> Answerable(List<FuzzFrame> batch) =>
        batch.Where((frame, i) => frame.Ref is not null && (frame.Event is "phx_join" or "phx_leave"
            || !batch.Skip(i + 1).Any(later => later.Topic == frame.Topic && later.Event is "phx_join" or "phx_leave")))
            .Select(frame => frame.Ref!);

    /// <summary>Reads until every ref has its reply; fails if the socket closes first.</summary>
    private static async Task ExpectRepliesAsync(SocketClient socket, List<string> refs, List<FuzzFrame> batch)
    {
        var waiting = new HashSet<string>(refs);
        while (waiting.Count > 0)
        {
            Received frame;
            try
            {
                frame = await socket.ReceiveAsync();
            }
            catch (TimeoutException)
            {
                Assert.Fail($"no reply to {string.Join(", ", waiting)}; the batch: {string.Join(" | ", batch.Select(Describe))}");
                throw;
            }

            Assert.False(frame.IsClose, $"a well-formed frame closed the socket ({frame.CloseStatus} {frame.CloseDescription}); the batch: {string.Join(" | ", batch.Select(Describe))}");
            if (frame.Message is { } message && message[3].GetString() == "phx_reply" && message[1].ValueKind == JsonValueKind.String)
            {
                waiting.Remove(message[1].GetString()!);
            }
        }
    }

    /// <summary>Sends the frame and a heartbeat; null when the heartbeat is answered, else the close.</summary>
    private static async Task<Received?> SendHostileAsync(SocketClient socket, FuzzFrame attack, string sentinel)
    {
        try
        {
            await socket.SendAsync(attack.Bytes, attack.Binary ? WebSocketMessageType.Binary : WebSocketMessageType.Text);
            await socket.SendAsync(FrameGenerators.Heartbeat(sentinel), WebSocketMessageType.Text);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The server closed already; its close frame is queued for the reader below.
            Assert.NotNull(e);
        }

        while (true)
        {
            var frame = await socket.ReceiveAsync();
            if (frame.IsClose)
            {
                return frame;
            }

            if (frame.Message is { } message && message[3].GetString() == "phx_reply" && message[1].ValueKind == JsonValueKind.String && message[1].GetString() == sentinel)
            {
                return null;
            }
        }
    }

    /// <summary>Chats in its own room throughout: every push answered ok, every message of its own seen.</summary>
    private static async Task<int> BystanderAsync(Uri address, string token, CancellationToken cancellationToken)
    {
        await using var socket = await SocketClient.ConnectAsync(address, token);
        Assert.Equal("ok", (await socket.JoinAsync("room:random")).GetProperty("status").GetString());
        var roundTrips = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            Assert.Equal("ok", (await socket.RequestAsync("phoenix", "heartbeat", "{}")).GetProperty("status").GetString());
            if (roundTrips % 5 == 0)
            {
                var content = $"still here {roundTrips}";
                var ack = await socket.RequestAsync("room:random", "new_message", JsonSerializer.Serialize(new { content }));
                var status = ack.GetProperty("status").GetString();
                Assert.True(status == "ok" || ack.GetProperty("response").TryGetProperty("retry_after_ms", out _), $"the bystander's message: {ack}");
            }

            roundTrips++;
            await Task.Delay(200, CancellationToken.None);
        }

        return roundTrips;
    }

    private static void Count(Dictionary<string, int> kinds, string kind) => kinds[kind] = kinds.GetValueOrDefault(kind) + 1;

    private static string Describe(FuzzFrame frame) => System.Text.Encoding.UTF8.GetString(frame.Bytes.AsSpan(0, Math.Min(400, frame.Bytes.Length)));
}

using System.Diagnostics;
using System.Globalization;
using Confab.Bench.Load;

namespace Confab.Bench;

/// <summary>
/// One room, many sockets: S of them send at a total rate R; every member records each message's delivery
/// latency (send timestamp in the content, same process clock). Reports deliveries/s, latency percentiles,
/// losses, and the server's CPU and RSS when its pid is given.
/// </summary>
public static class FanoutBenchmark
{
    public static async Task<int> RunAsync(BenchArgs args)
    {
        var url = new Uri(args.Text("url", "http://127.0.0.1:4000"));
        var sockets = args.Number("sockets", 1000);
        var senders = args.Number("senders", 10);
        var rate = args.Number("rate", 20);
        var seconds = args.Number("seconds", 10);
        var users = Math.Max(1, args.Number("users", 20));
        var serverPid = args.Number("server-pid", 0);
        var server = serverPid > 0 ? new ProcessStats(serverPid) : null;

        using var api = new ConfabApi(url);
        var tokens = new List<string>();
        for (var i = 0; i < users; i++)
        {
            tokens.Add(await api.TokenAsync($"bench{i}"));
        }

        var slug = await api.EnsureRoomAsync(tokens[0], $"Fanout {sockets}");
        var topic = "room:" + slug;
        var socketUrl = new UriBuilder(url) { Scheme = url.Scheme == "https" ? "wss" : "ws", Path = "/socket" }.Uri;

        var received = new long[sockets];
        var latencies = new List<double>[sockets];
        var measuring = 0;
        var connections = new PhoenixConnection[sockets];
        var joinClock = Stopwatch.StartNew();
        using (var gate = new SemaphoreSlim(50))
        {
            await Task.WhenAll(Enumerable.Range(0, sockets).Select(async i =>
            {
                await gate.WaitAsync();
                try
                {
                    var connection = await PhoenixConnection.ConnectAsync(socketUrl, tokens[i % tokens.Count], CancellationToken.None);
                    var mine = latencies[i] = new List<double>(rate * seconds * 2);
                    connection.OnMessage = (_, @event, payload) =>
                    {
                        if (@event != "new_message" || Volatile.Read(ref measuring) == 0)
                        {
                            return;
                        }

                        var content = payload.GetProperty("content").GetString()!;
                        if (content.StartsWith("t:", StringComparison.Ordinal))
                        {
                            var sent = long.Parse(content.AsSpan(2), CultureInfo.InvariantCulture);
                            mine.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
                            received[i]++;
                        }
                    };
                    await connection.JoinAsync(topic, TimeSpan.FromSeconds(60));
                    connections[i] = connection;
                }
                finally
                {
                    gate.Release();
                }
            }));
        }

        var joinSeconds = joinClock.Elapsed.TotalSeconds;
        Console.WriteLine($"{sockets} sockets joined {topic} in {joinSeconds:F1} s");
        await Task.Delay(TimeSpan.FromSeconds(2)); // let the presence diffs of the join storm drain

        var cpuBefore = server?.CpuTime() ?? TimeSpan.Zero;
        Volatile.Write(ref measuring, 1);
        var clock = Stopwatch.StartNew();
        var sent = 0L;
        var interval = TimeSpan.FromSeconds(senders / (double)rate);
        await Task.WhenAll(Enumerable.Range(0, senders).Select(s => Task.Run(async () =>
        {
            var connection = connections[s];
            var next = clock.Elapsed + TimeSpan.FromTicks(interval.Ticks * s / senders);
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                var wait = next - clock.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait);
                }

                next += interval;
                var payload = $"{{\"content\":\"t:{Stopwatch.GetTimestamp()}\"}}";
                var (status, _) = await connection.PushAsync(topic, "new_message", payload, TimeSpan.FromSeconds(30));
                if (status == "ok")
                {
                    Interlocked.Increment(ref sent);
                }
            }
        })));
        var sendSeconds = clock.Elapsed.TotalSeconds;
        await Task.Delay(TimeSpan.FromSeconds(3)); // stragglers
        Volatile.Write(ref measuring, 0);
        var cpu = (server?.CpuTime() ?? TimeSpan.Zero) - cpuBefore;
        var rss = server?.ResidentBytes() ?? 0;

        var all = latencies.SelectMany(l => l).Order().ToArray();
        var delivered = received.Sum();
        var expected = sent * sockets;
        Console.WriteLine($"sent {sent} messages in {sendSeconds:F1} s ({sent / sendSeconds:F0}/s) to {sockets} members: expected {expected} deliveries, got {delivered} ({expected - delivered} missing)");
        Console.WriteLine($"deliveries/s {delivered / sendSeconds:F0}; latency ms p50 {P(all, 0.5):F1} p90 {P(all, 0.9):F1} p99 {P(all, 0.99):F1} max {(all.Length > 0 ? all[^1] : 0):F1}");
        if (server is not null)
        {
            Console.WriteLine($"server CPU {cpu.TotalSeconds / (sendSeconds + 3) * 100:F0}% ({cpu.TotalMilliseconds * 1000 / Math.Max(1, delivered):F1} CPU-µs per delivery), RSS {rss / 1024.0 / 1024:F0} MiB");
        }

        await Task.WhenAll(connections.Where(c => c is not null).Select(c => c.DisposeAsync().AsTask()));
        return 0;
    }

    private static double P(double[] sorted, double p) => sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
}

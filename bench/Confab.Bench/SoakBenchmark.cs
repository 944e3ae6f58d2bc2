using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Confab.Bench.Load;
using Confab.Channels;

namespace Confab.Bench;

/// <summary>
/// The soak: S sockets join R rooms, chat, and leave (half with <c>phx_leave</c>, half by just closing), in cycles for M
/// minutes. The real app runs in this process on Kestrel at 127.0.0.1 so that after each cycle its managed heap, its
/// timers (<see cref="Timer.ActiveCount"/>), its open sockets and its presence can be read exactly. Every message
/// acknowledged during a cycle must reach every member of its room; after each cycle nothing may be left behind.
/// </summary>
public static class SoakBenchmark
{
    private const long HeapGrowthBound = 16L * 1024 * 1024;
    private const int TimerSlack = 64;

    public static async Task<int> RunAsync(BenchArgs args)
    {
        var sockets = args.Number("sockets", 2000);
        var rooms = args.Number("rooms", 20);
        var minutes = args.Number("minutes", 10);
        var chatSeconds = args.Number("chat", 20);
        var users = args.Number("users", 50);
        await using var host = new SoakHost();
        var url = host.Start();
        var metrics = host.Service<ChannelsMetrics>();
        var presence = host.Service<PresenceTracker>();

        using var api = new ConfabApi(url);
        // A few at a time: each sign-up and log-in hashes a password (on purpose slow).
        using var signUps = new SemaphoreSlim(4);
        var tokens = await Task.WhenAll(Enumerable.Range(0, users).Select(async i =>
        {
            await signUps.WaitAsync();
            try
            {
                return await api.TokenAsync($"soak{i}");
            }
            finally
            {
                signUps.Release();
            }
        }));
        var topics = new List<string>();
        for (var r = 0; r < rooms; r++)
        {
            topics.Add("room:" + await api.EnsureRoomAsync(tokens[0], $"Soak {r}"));
        }

        var socketUrl = new UriBuilder(url) { Scheme = "ws", Path = "/socket" }.Uri;
        var (baseHeap, baseTimers) = await SettleAsync(TimeSpan.FromSeconds(2));
        Console.WriteLine($"soak: {sockets} sockets in {rooms} rooms, {chatSeconds} s of chat per cycle, for {minutes} min; baseline heap {Mib(baseHeap)} MiB, timers {baseTimers}");
        Console.WriteLine("| cycle | joined in | messages | deliveries | missing | sockets open after | presences after | timers after | heap after (MiB) | RSS (MiB) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");

        var clock = Stopwatch.StartNew();
        var failures = new List<string>();
        var heaps = new List<long>();
        for (var cycle = 1; clock.Elapsed < TimeSpan.FromMinutes(minutes); cycle++)
        {
            var result = await CycleAsync(socketUrl, tokens, topics, sockets, chatSeconds, cycle);
            var (heap, timers) = await SettleAsync(TimeSpan.FromSeconds(12));
            heaps.Add(heap);
            var present = topics.Count(topic => presence.List(topic).ToString() != "{}");
            Console.WriteLine($"| {cycle} | {result.JoinSeconds:F1} s | {result.Messages} | {result.Deliveries} | {result.Missing} | {metrics.ActiveSockets} | {present} | {timers} | {Mib(heap)} | {Mib(new ProcessStats(Environment.ProcessId).ResidentBytes())} |");
            Check(failures, result.Missing == 0, $"cycle {cycle}: {result.Missing} deliveries missing");
            Check(failures, metrics.ActiveSockets == 0, $"cycle {cycle}: {metrics.ActiveSockets} sockets still open");
            Check(failures, present == 0, $"cycle {cycle}: presence left in {present} rooms");
            Check(failures, timers <= baseTimers + TimerSlack, $"cycle {cycle}: {timers} timers against {baseTimers} at the start");
        }

        Check(failures, heaps.Count >= 2 && heaps[^1] - heaps[0] <= HeapGrowthBound, $"heap grew {Mib(heaps[^1] - heaps[0])} MiB from the first cycle to the last (bound {Mib(HeapGrowthBound)} MiB)");
        Console.WriteLine(failures.Count == 0 ? "soak passed" : "soak FAILED:\n  " + string.Join("\n  ", failures));
        return failures.Count == 0 ? 0 : 1;
    }

    private sealed record CycleResult(double JoinSeconds, long Messages, long Deliveries, long Missing);

    private static async Task<CycleResult> CycleAsync(Uri socketUrl, string[] tokens, List<string> topics, int sockets, int chatSeconds, int cycle)
    {
        var members = new Member[sockets];
        var joinClock = Stopwatch.StartNew();
        using (var gate = new SemaphoreSlim(64))
        {
            await Task.WhenAll(Enumerable.Range(0, sockets).Select(async i =>
            {
                await gate.WaitAsync();
                try
                {
                    members[i] = await Member.JoinAsync(socketUrl, tokens[i % tokens.Length], topics[i % topics.Count]);
                }
                finally
                {
                    gate.Release();
                }
            }));
        }

        var joinSeconds = joinClock.Elapsed.TotalSeconds;

        // Two senders per room, one message a second each, every one with a client_id.
        var acked = new ConcurrentDictionary<string, ConcurrentBag<string>>();
        var senders = Enumerable.Range(0, Math.Min(sockets, topics.Count * 2)).Select(i => Task.Run(async () =>
        {
            var member = members[i];
            var mine = acked.GetOrAdd(member.Topic, _ => []);
            for (var n = 0; n < chatSeconds; n++)
            {
                var clientId = $"c{cycle}-{i}-{n}";
                var (status, _) = await member.Connection.PushAsync(member.Topic, "new_message", JsonSerializer.Serialize(new { content = "soak " + clientId, client_id = clientId }), TimeSpan.FromSeconds(30));
                if (status == "ok")
                {
                    mine.Add(clientId);
                }

                await Task.Delay(1000);
            }
        }));
        await Task.WhenAll(senders);
        await Task.Delay(TimeSpan.FromSeconds(2)); // the last broadcasts in flight

        long deliveries = 0;
        long missing = 0;
        foreach (var member in members)
        {
            var expected = acked.GetValueOrDefault(member.Topic) ?? [];
            lock (member.Seen)
            {
                deliveries += member.Seen.Count;
                missing += expected.Count(id => !member.Seen.Contains(id));
            }
        }

        // Leave: half say phx_leave first, half just close.
        await Task.WhenAll(members.Select(async (member, i) =>
        {
            if (i % 2 == 0)
            {
                await member.Connection.PushAsync(member.Topic, "phx_leave", "{}", TimeSpan.FromSeconds(30));
            }

            await member.Connection.DisposeAsync();
        }));

        return new CycleResult(joinSeconds, acked.Values.Sum(bag => bag.Count), deliveries, missing);
    }

    private static async Task<(long Heap, long Timers)> SettleAsync(TimeSpan wait)
    {
        // Idle rate-limiter partitions and closing sockets need a moment; then collect everything that can be.
        await Task.Delay(wait);
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return (GC.GetTotalMemory(forceFullCollection: true), Timer.ActiveCount);
    }

    private static void Check(List<string> failures, bool ok, string failure)
    {
        if (!ok)
        {
            failures.Add(failure);
        }
    }

    private static string Mib(long bytes) => (bytes / 1024.0 / 1024).ToString("F1", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>One socket in one room, remembering the client_id of every message it receives.</summary>
    private sealed class Member(PhoenixConnection connection, string topic)
    {
        public PhoenixConnection Connection => connection;

        public string Topic => topic;

        public HashSet<string> Seen { get; } = [];

        public static async Task<Member> JoinAsync(Uri socketUrl, string token, string topic)
        {
            var connection = await PhoenixConnection.ConnectAsync(socketUrl, token, CancellationToken.None);
            var member = new Member(connection, topic);
            connection.OnMessage = (_, @event, payload) =>
            {
                if (@event == "new_message" && payload.TryGetProperty("client_id", out var id))
                {
                    lock (member.Seen)
                    {
                        member.Seen.Add(id.GetString()!);
                    }
                }
            };
            await connection.JoinAsync(topic, TimeSpan.FromSeconds(60));
            return member;
        }
    }
}

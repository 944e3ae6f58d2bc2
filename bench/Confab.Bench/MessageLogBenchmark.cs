using System.Diagnostics;
using Confab.Messages;
using Confab.Storage;
using Confab.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Confab.Bench;

/// <summary>
/// MessageLog's commit throughput on a real SQLite file (WAL, synchronous=FULL): N concurrent senders, each
/// appending and awaiting its commit in a loop, with group commit and with one transaction per message.
/// </summary>
public static class MessageLogBenchmark
{
    public static async Task<int> RunAsync(BenchArgs args)
    {
        var senders = args.Number("senders", 20);
        var seconds = args.Number("seconds", 10);
        Console.WriteLine($"MessageLog commit throughput: {senders} concurrent senders, {seconds} s per mode, SQLite WAL synchronous=FULL");
        Console.WriteLine($"{"mode",-28} {"messages/s",12} {"p50 ms",8} {"p99 ms",8} {"max ms",8} {"messages",10}");
        foreach (var (mode, batch) in new[] { ("group commit (batch <= 256)", 256), ("one transaction per message", 1) })
        {
            var result = await MeasureAsync(batch, senders, TimeSpan.FromSeconds(seconds));
            Console.WriteLine($"{mode,-28} {result.PerSecond,12:F0} {result.P50,8:F2} {result.P99,8:F2} {result.Max,8:F2} {result.Count,10}");
        }

        return 0;
    }

    private static async Task<(double PerSecond, double P50, double P99, double Max, int Count)> MeasureAsync(int maxBatch, int senders, TimeSpan duration)
    {
        var folder = Path.Combine(Path.GetTempPath(), "confab-bench", Guid.NewGuid().ToString("N"));
        var executor = new SqliteExecutor(Path.Combine(folder, "bench.db"), TimeSpan.FromSeconds(5));
        executor.Initialize();
        await new SqliteMigrator(executor, Path.Combine(AppContext.BaseDirectory, "db", "migrations")).ApplyAsync();
        var store = new ChatStore(executor);
        var user = await store.CreateUserAsync("bench", "bench@example.com", "x", DateTimeOffset.UtcNow)
            ?? throw new InvalidOperationException("could not create the bench user");
        var author = new MessageAuthor(user.Id, user.Username);
        var rooms = await store.ListRoomsAsync();

        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new ConfabMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        var log = new MessageLog(store, TimeProvider.System, Options.Create(new MessageLogOptions { MaxBatchSize = maxBatch }), metrics, NullLogger<MessageLog>.Instance);
        await log.StartAsync(CancellationToken.None);
        var latencies = new List<double>[senders];
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, senders).Select(sender => Task.Run(async () =>
        {
            var mine = latencies[sender] = new List<double>(100_000);
            var room = rooms[sender % rooms.Count];
            while (clock.Elapsed < duration)
            {
                var started = Stopwatch.GetTimestamp();
                await log.AppendAsync(room, author, "a benchmark message of an ordinary length, about sixty chars", null);
                mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        })));
        var elapsed = clock.Elapsed.TotalSeconds;
        await log.StopAsync(CancellationToken.None);

        var all = latencies.SelectMany(l => l).Order().ToArray();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
        return (all.Length / elapsed, Percentile(all, 0.50), Percentile(all, 0.99), all[^1], all.Length);
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
}

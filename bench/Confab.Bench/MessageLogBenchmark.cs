using System.Diagnostics;
using Confab.Messages;
using Confab.Storage;
using Confab.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Confab.Bench;

/// <summary>
/// MessageLog's commit throughput: N concurrent senders, each appending and awaiting its commit in a loop, with group
/// commit and with one transaction per message; on a real SQLite file (WAL, synchronous=FULL) and/or on D1 over HTTP
/// (<c>--url</c>, e.g. the local D1 that deploy/cloudflare/local-d1.sh serves at $CONFAB_D1_URL).
/// </summary>
public static class MessageLogBenchmark
{
    private static readonly (string Key, string Mode, int Batch)[] Modes =
        [("group", "group commit (batch <= 256)", 256), ("single", "one transaction per message", 1)];

    public static async Task<int> RunAsync(BenchArgs args)
    {
        var senders = args.Number("senders", 20);
        var seconds = args.Number("seconds", 10);
        var provider = args.Text("provider", "sqlite");
        var url = args.Text("url", Environment.GetEnvironmentVariable("CONFAB_D1_URL") ?? "");
        var only = args.Text("mode", "both");
        var providers = provider == "both" ? ["sqlite", "d1"] : new[] { provider };
        if (providers.Contains("d1") && url.Length == 0)
        {
            Console.Error.WriteLine("--provider d1 needs --url (or CONFAB_D1_URL): run it inside deploy/cloudflare/local-d1.sh");
            return 2;
        }

        Console.WriteLine($"MessageLog commit throughput: {senders} concurrent senders, {seconds} s per mode");
        Console.WriteLine(
            $"{"database",-8} {"mode",-28} {"messages/s",12} {"p50 ms",8} {"p99 ms",8} {"max ms",8} {"messages",10} {"batches",8} {"msgs/batch",10} {"commit µs/msg",13} {"commit busy",11}");
        foreach (var database in providers)
        {
            foreach (var (key, mode, batch) in Modes)
            {
                if (only != "both" && only != key)
                {
                    continue;
                }

                await using IBenchTarget target = database == "d1" ? await D1Target.OpenAsync(url) : await SqliteTarget.OpenAsync();
                var result = await MeasureAsync(target.Store, batch, senders, TimeSpan.FromSeconds(seconds));
                Console.WriteLine(
                    $"{database,-8} {mode,-28} {result.PerSecond,12:F0} {result.P50,8:F2} {result.P99,8:F2} {result.Max,8:F2} {result.Count,10} "
                    + $"{result.Commits.Batches,8} {result.Commits.PerBatch,10:F1} {result.Commits.MicrosPerMessage,13:F1} {result.Commits.Busy,11:P0}");
            }
        }

        return 0;
    }

    private static async Task<(double PerSecond, double P50, double P99, double Max, int Count, CommitStats Commits)> MeasureAsync(
        ChatStore store, int maxBatch, int senders, TimeSpan duration)
    {
        var user = await store.CreateUserAsync("bench", "bench@example.com", "x", DateTimeOffset.UtcNow)
            ?? throw new InvalidOperationException("could not create the bench user");
        var author = new MessageAuthor(user.Id, user.Username);
        var rooms = await store.ListRoomsAsync();

        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new ConfabMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        using var commits = new CommitStats();
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
        commits.Elapsed = elapsed;
        return (all.Length / elapsed, Percentile(all, 0.50), Percentile(all, 0.99), all[^1], all.Length, commits);
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    /// <summary>
    /// MessageLog's own account of its commits (<c>confab.message_log.*</c>): how many batches, how large, the time spent
    /// committing per message, and the share of the run the writer spent committing (near 100%: the writer is the limit).
    /// </summary>
    private sealed class CommitStats : IDisposable
    {
        private readonly System.Diagnostics.Metrics.MeterListener listener = new();
        private long batches;
        private long messages;
        private double seconds;

        public CommitStats()
        {
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == ConfabMetrics.MeterName && instrument.Name.StartsWith("confab.message_log.", StringComparison.Ordinal))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<long>((_, size, _, _) =>
            {
                batches++;
                messages += size;
            });
            listener.SetMeasurementEventCallback<double>((_, duration, _, _) => seconds += duration);
            listener.Start();
        }

        public double Elapsed { get; set; }

        public long Batches => batches;

        public double PerBatch => batches == 0 ? 0 : (double)messages / batches;

        public double MicrosPerMessage => messages == 0 ? 0 : seconds * 1e6 / messages;

        public double Busy => Elapsed == 0 ? 0 : seconds / Elapsed;

        public void Dispose() => listener.Dispose();
    }

    private interface IBenchTarget : IAsyncDisposable
    {
        ChatStore Store { get; }
    }

    /// <summary>A fresh SQLite file, migrated, deleted afterwards.</summary>
    private sealed class SqliteTarget(SqliteExecutor executor, string folder) : IBenchTarget
    {
        public ChatStore Store { get; } = new(executor);

        public static async Task<SqliteTarget> OpenAsync()
        {
            var folder = Path.Combine(Path.GetTempPath(), "confab-bench", Guid.NewGuid().ToString("N"));
            var executor = new SqliteExecutor(Path.Combine(folder, "bench.db"), TimeSpan.FromSeconds(5));
            executor.Initialize();
            await new SqliteMigrator(executor, Path.Combine(AppContext.BaseDirectory, "db", "migrations")).ApplyAsync();
            return new SqliteTarget(executor, folder);
        }

        public ValueTask DisposeAsync()
        {
            executor.Dispose();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>D1 through Confab's own storage registration, emptied of messages and users before and after.</summary>
    private sealed class D1Target(ServiceProvider services) : IBenchTarget
    {
        private static readonly SqlStatement[] Empty = [new("DELETE FROM messages"), new("DELETE FROM users")];

        public ChatStore Store => services.GetRequiredService<ChatStore>();

        public static async Task<D1Target> OpenAsync(string url)
        {
            var configuration = new ConfigurationBuilder()
                .AddInMemoryCollection(new Dictionary<string, string?> { ["Storage:Provider"] = "D1", ["Storage:D1:BaseUrl"] = url })
                .Build();
            var services = new ServiceCollection()
                .AddSingleton<IConfiguration>(configuration)
                .AddSingleton(TimeProvider.System)
                .AddLogging()
                .AddStorage()
                .BuildServiceProvider();
            var target = new D1Target(services);
            await target.Store.Executor.BatchAsync(Empty);
            return target;
        }

        public async ValueTask DisposeAsync()
        {
            await Store.Executor.BatchAsync(Empty);
            await services.DisposeAsync();
        }
    }
}

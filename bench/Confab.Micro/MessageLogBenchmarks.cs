using BenchmarkDotNet.Attributes;
using Confab.Messages;
using Confab.Rooms;
using Confab.Storage;
using Confab.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Confab.Micro;

/// <summary>
/// <see cref="MessageLog"/> on a real SQLite file (WAL, synchronous=FULL): <see cref="Messages"/> senders append at
/// once and wait for their commit; the writer commits them in one transaction (or a few). Time per operation divided
/// by <see cref="Messages"/> is the cost of one durable message.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet calls [GlobalCleanup], which stops and disposes what [GlobalSetup] made.")]
public class MessageLogBenchmarks
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "confab-micro", Guid.NewGuid().ToString("N"));
    private ServiceProvider services = null!;
    private SqliteExecutor executor = null!;
    private MessageLog log = null!;
    private Room room = null!;
    private MessageAuthor author = null!;

    [Params(1, 100)]
    public int Messages { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        executor = new SqliteExecutor(Path.Combine(folder, "micro.db"), TimeSpan.FromSeconds(5));
        executor.Initialize();
        new SqliteMigrator(executor, Path.Combine(AppContext.BaseDirectory, "db", "migrations")).ApplyAsync().GetAwaiter().GetResult();
        var store = new ChatStore(executor);
        var user = store.CreateUserAsync("micro", "micro@example.com", "x", DateTimeOffset.UtcNow).GetAwaiter().GetResult()!;
        author = new MessageAuthor(user.Id, user.Username);
        room = store.ListRoomsAsync().GetAwaiter().GetResult()[0];
        services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new ConfabMetrics(services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        log = new MessageLog(store, TimeProvider.System, Options.Create(new MessageLogOptions()), metrics, NullLogger<MessageLog>.Instance);
        log.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        log.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
        services.Dispose();
        executor.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }

    [Benchmark]
    public async Task AppendAndCommit()
    {
        var appends = new Task<AppendResult>[Messages];
        for (int i = 0; i < Messages; i++)
        {
            appends[i] = log.AppendAsync(room, author, "a benchmark message of an ordinary length, about sixty chars", null).AsTask();
        }

        await Task.WhenAll(appends);
    }
}

using Confab.Storage;
using Confab.Tests.Infrastructure;

namespace Confab.Tests.Storage;

/// <summary>The store conformance suite on a SQLite file: a new file per test, migrated by Confab's runner.</summary>
[Trait("Storage", "Sqlite")]
public sealed class SqliteStoreTests : StoreConformanceTests
{
    private readonly TempFolder folder = TempFolder.Create();

    protected override async Task<ISqlExecutor> OpenFreshAsync()
    {
        var executor = new SqliteExecutor(Path.Combine(folder.Path, "confab.db"), TimeSpan.FromSeconds(5));
        executor.Initialize();
        await new SqliteMigrator(executor, Path.Combine(AppContext.BaseDirectory, "db", "migrations")).ApplyAsync().Within();
        return executor;
    }

    [Fact]
    public async Task A_batch_waits_for_another_connections_write_instead_of_failing()
    {
        // Another writer on the file (a read marker moved on a pooled connection) holds the write lock for a moment.
        var executor = (SqliteExecutor)Executor;
        using var other = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={executor.DatabasePath}");
        other.Open();
        using (var begin = other.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE";
            begin.ExecuteNonQuery();
        }

        var batch = Task.Run(() => Executor.BatchAsync([new SqlStatement("UPDATE rooms SET slow_mode_seconds = 0 WHERE id = ?1", -1L)]));
        await Task.Delay(300);
        Assert.False(batch.IsCompleted, "the batch waits while the other connection writes");
        using (var commit = other.CreateCommand())
        {
            commit.CommandText = "COMMIT";
            commit.ExecuteNonQuery();
        }

        var results = await batch.Within();
        Assert.Single(results);
    }

    public override Task DisposeAsync()
    {
        (Executor as IDisposable)?.Dispose();
        folder.Dispose();
        return Task.CompletedTask;
    }
}

using Confab.Storage;
using Confab.Tests.Infrastructure;

namespace Confab.Tests.Storage;

/// <summary>What SQLite caches in the process goes back when asked (the MemoryTrimmer asks after load has passed).</summary>
[Trait("Storage", "Sqlite")]
[Collection(RunsAlone.Name)] // SQLite's memory counter is the whole process's
public sealed class SqliteMemoryTests
{
    [Fact]
    public async Task ReleaseMemory_gives_back_the_page_caches_of_pooled_and_batch_connections()
    {
        using var folder = TempFolder.Create();
        using var executor = new SqliteExecutor(Path.Combine(folder.Path, "confab.db"), TimeSpan.FromSeconds(5));
        executor.Initialize();
        await executor.BatchAsync([new SqlStatement("CREATE TABLE filler (text TEXT NOT NULL)")]).Within();
        string row = new('x', 200);
        for (var batch = 0; batch < 20; batch++)
        {
            await executor.BatchAsync([.. Enumerable.Range(0, 1000).Select(_ => new SqlStatement("INSERT INTO filler (text) VALUES (?1)", row))]).Within();
        }

        // A pooled connection and the batch connection each read the whole table into their page caches.
        const string scan = "SELECT sum(length(text)) AS total FROM filler";
        Assert.Equal(20_000L * 200, (await executor.ExecuteAsync(new SqlStatement(scan)).Within()).Rows[0]["total"]);
        await executor.BatchAsync([new SqlStatement(scan)]).Within();
        long cached = SQLitePCL.raw.sqlite3_memory_used();

        executor.ReleaseMemory();

        long released = cached - SQLitePCL.raw.sqlite3_memory_used();
        Assert.True(released > 2_000_000, $"released {released:N0} of {cached:N0} bytes");
        Assert.Equal(20_000L * 200, (await executor.ExecuteAsync(new SqlStatement(scan)).Within()).Rows[0]["total"]);
    }
}

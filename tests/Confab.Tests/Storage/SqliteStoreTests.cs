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

    public override Task DisposeAsync()
    {
        (Executor as IDisposable)?.Dispose();
        folder.Dispose();
        return Task.CompletedTask;
    }
}

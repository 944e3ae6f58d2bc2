using Confab.Storage;
using Confab.Tests.Infrastructure;

namespace Confab.Tests.Storage;

/// <summary>The store conformance suite on PostgreSQL: a new database per test, migrated by Confab's runner.</summary>
[Trait("Storage", "Postgres")]
public sealed class PostgresStoreTests : StoreConformanceTests
{
    private string? database;

    protected override bool IsPostgres => true;

    protected override async Task<ISqlExecutor> OpenFreshAsync()
    {
        database = await LocalPostgres.CreateDatabaseAsync();
        var executor = new PostgresExecutor(database);
        await new PostgresMigrator(executor, Path.Combine(AppContext.BaseDirectory, "db", "postgres")).ApplyAsync().Within(60);
        return executor;
    }

    public override async Task DisposeAsync()
    {
        if (Executor is PostgresExecutor executor)
        {
            await executor.DisposeAsync();
        }

        if (database is not null)
        {
            await LocalPostgres.DropDatabaseAsync(database);
        }
    }
}

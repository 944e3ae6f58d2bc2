using Confab.Storage;
using Confab.Tests.Infrastructure;

namespace Confab.Tests.Storage;

public sealed class MigrationTests : IDisposable
{
    private readonly TempFolder folder = TempFolder.Create();

    private string CopyMigrations()
    {
        var target = Path.Combine(folder.Path, "migrations");
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "db", "migrations"), "*.sql"))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        return target;
    }

    private SqliteExecutor NewExecutor()
    {
        var executor = new SqliteExecutor(Path.Combine(folder.Path, "db", "confab.db"), TimeSpan.FromSeconds(5));
        executor.Initialize();
        return executor;
    }

    [Fact]
    public void PostgreSQL_has_a_migration_of_the_same_name_for_each_of_SQLites_and_no_other()
    {
        // A schema change made for SQLite and D1 must be made for PostgreSQL too (db/postgres), and the other way round.
        var sqlite = SqliteMigrator.ListMigrations(Path.Combine(AppContext.BaseDirectory, "db", "migrations"));
        var postgres = SqliteMigrator.ListMigrations(Path.Combine(AppContext.BaseDirectory, "db", "postgres"));

        Assert.NotEmpty(sqlite);
        Assert.Equal(sqlite, postgres);
    }

    [Fact]
    public async Task A_fresh_database_gets_the_schema_and_one_d1_migrations_row_per_file()
    {
        var migrations = CopyMigrations();
        var executor = NewExecutor();

        var applied = await new SqliteMigrator(executor, migrations).ApplyAsync();

        var files = Directory.GetFiles(migrations, "*.sql").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(files, applied);
        var recorded = (await executor.ExecuteAsync(new SqlStatement("SELECT name FROM d1_migrations ORDER BY id"))).Rows.Select(r => r.GetString("name"));
        Assert.Equal(files, recorded);
        var tables = (await executor.ExecuteAsync(new SqlStatement("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")))
            .Rows.Select(r => r.GetString("name")).ToArray();
        Assert.Contains("users", tables);
        Assert.Contains("rooms", tables);
        Assert.Contains("messages", tables);
        var slugs = (await executor.ExecuteAsync(new SqlStatement("SELECT slug FROM rooms ORDER BY id"))).Rows.Select(r => r.GetString("slug"));
        Assert.Equal(["general", "tech-talk", "random"], slugs);
    }

    [Fact]
    public async Task A_second_run_applies_nothing_and_an_added_file_is_applied_once()
    {
        var migrations = CopyMigrations();
        var executor = NewExecutor();
        await new SqliteMigrator(executor, migrations).ApplyAsync();

        Assert.Empty(await new SqliteMigrator(executor, migrations).ApplyAsync());

        await File.WriteAllTextAsync(Path.Combine(migrations, "9000_add_topic.sql"), "ALTER TABLE rooms ADD COLUMN topic TEXT;");
        Assert.Equal(["9000_add_topic.sql"], await new SqliteMigrator(executor, migrations).ApplyAsync());
        Assert.Empty(await new SqliteMigrator(executor, migrations).ApplyAsync());

        var rows = await executor.ExecuteAsync(new SqlStatement("SELECT COUNT(*) AS n FROM d1_migrations WHERE name = '9000_add_topic.sql'"));
        Assert.Equal(1, rows.Rows[0].GetInt64("n"));
        // The seed migration ran once: three rooms, not six.
        var rooms = await executor.ExecuteAsync(new SqlStatement("SELECT COUNT(*) AS n FROM rooms"));
        Assert.Equal(3, rooms.Rows[0].GetInt64("n"));
    }

    [Fact]
    public async Task A_failing_migration_is_rolled_back_and_not_recorded()
    {
        var migrations = CopyMigrations();
        var executor = NewExecutor();
        await new SqliteMigrator(executor, migrations).ApplyAsync();
        await File.WriteAllTextAsync(Path.Combine(migrations, "9001_broken.sql"), "CREATE TABLE half (id INTEGER); SELECT * FROM no_such_table;");

        await Assert.ThrowsAsync<StorageException>(() => new SqliteMigrator(executor, migrations).ApplyAsync());

        var half = await executor.ExecuteAsync(new SqlStatement("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = 'half'"));
        Assert.Equal(0, half.Rows[0].GetInt64("n"));
        var recorded = await executor.ExecuteAsync(new SqlStatement("SELECT COUNT(*) AS n FROM d1_migrations WHERE name = '9001_broken.sql'"));
        Assert.Equal(0, recorded.Rows[0].GetInt64("n"));
    }

    [Fact]
    public async Task The_executor_uses_WAL_foreign_keys_and_full_sync()
    {
        var executor = NewExecutor();
        await new SqliteMigrator(executor, CopyMigrations()).ApplyAsync();

        Assert.Equal("wal", (await executor.ExecuteAsync(new SqlStatement("PRAGMA journal_mode"))).Rows[0].GetString("journal_mode"));
        Assert.Equal(1, (await executor.ExecuteAsync(new SqlStatement("PRAGMA foreign_keys"))).Rows[0].GetInt64("foreign_keys"));
        Assert.Equal(2, (await executor.ExecuteAsync(new SqlStatement("PRAGMA synchronous"))).Rows[0].GetInt64("synchronous"));
    }

    [Fact]
    public void A_statement_may_bind_at_most_100_parameters()
    {
        _ = new SqlStatement("SELECT 1", new object?[100]);
        var error = Assert.Throws<ArgumentException>(() => new SqlStatement("SELECT 1", new object?[101]));
        Assert.Contains("100", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(1.5f)]
    [InlineData(double.NaN)]
    [InlineData(SqlStatement.MaxSafeInteger + 1)]
    [InlineData(-SqlStatement.MaxSafeInteger - 1)]
    public void A_statement_binds_only_values_that_D1_carries_unchanged(object value)
    {
        _ = new SqlStatement("SELECT ?1, ?2, ?3, ?4, ?5", SqlStatement.MaxSafeInteger, -SqlStatement.MaxSafeInteger, 1.5, "text", null);
        var error = Assert.Throws<ArgumentException>(() => new SqlStatement("SELECT ?1", value));
        Assert.Contains("?1", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => folder.Dispose();
}

using Confab.Storage;
using Npgsql;

namespace Confab.Bench.Load;

/// <summary>
/// The database of a load run, as the server uses it: a Confab SQLite file (<c>--db PATH</c>) or a PostgreSQL database
/// (<c>--postgres CONNECTION_STRING</c>, an Npgsql connection string naming the database, as the server's
/// <c>ConnectionStrings__Postgres</c>). Either is reached through Confab's own <see cref="ISqlExecutor"/>, so
/// <see cref="LoadDatabase"/> writes and reads both with the same SQL.
/// </summary>
internal sealed class LoadStorage
{
    public const string Usage = "(--db PATH | --postgres CONNECTION_STRING)";

    private LoadStorage(string? sqlitePath, string? postgres)
    {
        SqlitePath = sqlitePath;
        Postgres = postgres;
    }

    /// <summary>The SQLite file, or null on PostgreSQL.</summary>
    public string? SqlitePath { get; }

    /// <summary>The PostgreSQL connection string, or null on SQLite.</summary>
    public string? Postgres { get; }

    /// <summary>"sqlite" or "postgres", for reports.</summary>
    public string Kind => Postgres is null ? "sqlite" : "postgres";

    public static LoadStorage FromArgs(BenchArgs args) =>
        new(args.Text("db", "") is { Length: > 0 } path ? path : null, args.Text("postgres", "") is { Length: > 0 } postgres ? postgres : null);

    /// <summary>What is wrong with the options, or null. <paramref name="prepared"/>: the database must exist already.</summary>
    public string? Problem(bool prepared) =>
        (SqlitePath is null) == (Postgres is null) ? "name the server's database, with either --db PATH (SQLite) or --postgres CONNECTION_STRING (PostgreSQL)"
        : Postgres is not null && string.IsNullOrEmpty(new NpgsqlConnectionStringBuilder(Postgres).Database) ? "--postgres must name a database (Database=...)"
        : prepared && SqlitePath is not null && !File.Exists(SqlitePath) ? $"--db {SqlitePath} does not exist (load-setup prepares it)"
        : null;

    /// <summary>The file, or the PostgreSQL database's name and server (never its password).</summary>
    public override string ToString()
    {
        if (Postgres is null)
        {
            return SqlitePath!;
        }

        var builder = new NpgsqlConnectionStringBuilder(Postgres);
        return $"PostgreSQL database {builder.Database} at {builder.Host}:{builder.Port}";
    }

    /// <summary>Runs <paramref name="work"/> with an executor on the database, closed afterwards.</summary>
    public async Task<T> UseAsync<T>(Func<ISqlExecutor, Task<T>> work)
    {
        if (Postgres is not null)
        {
            await using var postgres = new PostgresExecutor(Postgres);
            return await work(postgres);
        }

        using var sqlite = new SqliteExecutor(SqlitePath!, TimeSpan.FromSeconds(5));
        return await work(sqlite);
    }

    /// <summary>
    /// Applies Confab's schema as the server would at start-up (db/migrations or db/postgres, copied beside this program
    /// by the build); true if the database was empty (every migration applied now).
    /// </summary>
    public static async Task<bool> MigrateAsync(ISqlExecutor executor)
    {
        string folder = Path.Combine(AppContext.BaseDirectory, "db", executor is PostgresExecutor ? "postgres" : "migrations");
        IReadOnlyList<string> applied;
        switch (executor)
        {
            case SqliteExecutor sqlite:
                sqlite.Initialize();
                applied = await new SqliteMigrator(sqlite, folder).ApplyAsync();
                break;
            case PostgresExecutor postgres:
                applied = await new PostgresMigrator(postgres, folder).ApplyAsync();
                break;
            default:
                throw new NotSupportedException($"No migrator for {executor.GetType().Name}");
        }

        return applied.Count == SqliteMigrator.ListMigrations(folder).Count;
    }
}

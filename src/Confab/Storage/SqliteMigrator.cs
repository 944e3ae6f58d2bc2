namespace Confab.Storage;

/// <summary>
/// Applies <c>db/migrations/NNNN_name.sql</c> to a SQLite file in name order, recording each in
/// <c>d1_migrations</c> exactly as <c>wrangler d1 migrations apply</c> does, so one folder serves SQLite and D1
/// and either tool knows what the other applied.
/// </summary>
public sealed class SqliteMigrator(SqliteExecutor executor, string migrationsPath)
{
    private const string CreateTable =
        """
        CREATE TABLE IF NOT EXISTS "d1_migrations"(
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            name TEXT UNIQUE,
            applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL
        );
        """;

    /// <summary>Applies every migration not yet recorded, each in its own transaction. Returns the names applied.</summary>
    public async Task<IReadOnlyList<string>> ApplyAsync(CancellationToken cancellationToken = default)
    {
        var files = ListMigrations(migrationsPath);
        executor.ExecuteScript(CreateTable);
        var applied = (await executor.ExecuteAsync(new SqlStatement("SELECT name FROM d1_migrations"), cancellationToken))
            .Rows.Select(row => row.GetString("name")).ToHashSet(StringComparer.Ordinal);

        var newlyApplied = new List<string>();
        foreach (var name in files)
        {
            if (applied.Contains(name))
            {
                continue;
            }

            cancellationToken.ThrowIfCancellationRequested();
            var script = await File.ReadAllTextAsync(Path.Combine(migrationsPath, name), cancellationToken);
            executor.ExecuteScript(script, new SqlStatement("INSERT INTO d1_migrations (name) VALUES (?1)", name));
            newlyApplied.Add(name);
        }

        return newlyApplied;
    }

    /// <summary>The migration file names in the folder, in the order they apply (as wrangler orders them).</summary>
    public static IReadOnlyList<string> ListMigrations(string migrationsPath)
    {
        if (!Directory.Exists(migrationsPath))
        {
            throw new DirectoryNotFoundException(
                $"The migrations folder '{migrationsPath}' does not exist. Set Storage:MigrationsPath to the folder holding db/migrations.");
        }

        return Directory.GetFiles(migrationsPath, "*.sql")
            .Select(Path.GetFileName)
            .OfType<string>()
            .Order(StringComparer.Ordinal)
            .ToList();
    }
}

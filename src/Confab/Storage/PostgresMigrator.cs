using Npgsql;

namespace Confab.Storage;

/// <summary>
/// Applies <c>db/postgres/NNNN_name.sql</c> to PostgreSQL in name order, each in its own transaction, recording each in
/// <c>schema_migrations</c>. Nodes that start together take turns: an advisory lock is held while migrating, and a node
/// that waited finds the work done.
/// </summary>
public sealed class PostgresMigrator(PostgresExecutor executor, string migrationsPath)
{
    /// <summary>The advisory lock's key: any constant that no other application on the database uses.</summary>
    private const long LockKey = 0x436F6E666162; // "Confab"

    /// <summary>Applies every migration not yet recorded. Returns the names applied.</summary>
    public async Task<IReadOnlyList<string>> ApplyAsync(CancellationToken cancellationToken = default)
    {
        var files = SqliteMigrator.ListMigrations(migrationsPath);
        try
        {
            await using var connection = await executor.DataSource.OpenConnectionAsync(cancellationToken);
            await RunAsync(connection, $"SELECT pg_advisory_lock({LockKey})", cancellationToken);
            try
            {
                await RunAsync(
                    connection,
                    "CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                    cancellationToken);
                var applied = new HashSet<string>(StringComparer.Ordinal);
                await using (var command = new NpgsqlCommand("SELECT name FROM schema_migrations", connection))
                await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
                {
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        applied.Add(reader.GetString(0));
                    }
                }

                var newlyApplied = new List<string>();
                foreach (var name in files.Where(name => !applied.Contains(name)))
                {
                    var script = await File.ReadAllTextAsync(Path.Combine(migrationsPath, name), cancellationToken);
                    await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                    await RunAsync(connection, script, cancellationToken);
                    await using (var record = new NpgsqlCommand("INSERT INTO schema_migrations (name) VALUES ($1)", connection))
                    {
                        record.Parameters.Add(new NpgsqlParameter { Value = name });
                        await record.ExecuteNonQueryAsync(cancellationToken);
                    }

                    await transaction.CommitAsync(cancellationToken);
                    newlyApplied.Add(name);
                }

                // Npgsql learned the database's types when it first connected: perhaps before citext existed.
                await connection.ReloadTypesAsync(cancellationToken);
                return newlyApplied;
            }
            finally
            {
                await RunAsync(connection, $"SELECT pg_advisory_unlock({LockKey})", CancellationToken.None);
            }
        }
        catch (PostgresException e)
        {
            throw new StorageException($"PostgreSQL refused a migration: {e.MessageText} ({e.SqlState})", StorageErrorKind.Invalid, e) { Code = e.SqlState };
        }
        catch (NpgsqlException e)
        {
            throw new StorageException($"PostgreSQL could not be reached to migrate: {e.Message}", StorageErrorKind.Unavailable, e);
        }
    }

    private static async Task RunAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

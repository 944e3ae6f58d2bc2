using Npgsql;

namespace Confab.Tests.Infrastructure;

/// <summary>
/// The run's real PostgreSQL: a throwaway cluster started by <c>tests/postgres/local-postgres.sh</c> (test.sh's
/// PostgreSQL step), reached through <c>CONFAB_POSTGRES</c>. Each store or server a test opens gets a database of its
/// own (<see cref="CreateDatabaseAsync"/>), empty: Confab migrates it as it would in production. Tests that use it carry
/// <c>[Trait("Storage", "Postgres")]</c>. Without the variable every such test fails: it never skips.
/// </summary>
public static class LocalPostgres
{
    public const string Variable = "CONFAB_POSTGRES";

    /// <summary>The connection string of the cluster's <c>postgres</c> database, as the superuser.</summary>
    public static string Admin =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{Variable} is not set: the PostgreSQL suites need a PostgreSQL server. Run them as test.sh does: "
                + "tests/postgres/local-postgres.sh dotnet test tests/Confab.Tests --filter Storage=Postgres");

    /// <summary>A new, empty database; returns its connection string. <see cref="DropDatabaseAsync"/> removes it.</summary>
    public static async Task<string> CreateDatabaseAsync()
    {
        var name = "confab_" + Guid.NewGuid().ToString("N")[..16];
        await using (var connection = new NpgsqlConnection(Admin))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(Admin) { Database = name }.ConnectionString;
    }

    /// <summary>Drops a database <see cref="CreateDatabaseAsync"/> made, closing whatever is still connected to it.</summary>
    public static async Task DropDatabaseAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(Admin);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}

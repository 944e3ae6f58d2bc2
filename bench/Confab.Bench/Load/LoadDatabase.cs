using System.Globalization;
using Confab.Accounts;
using Confab.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Confab.Bench.Load;

/// <summary>
/// The users and rooms of a load run, written straight into a fresh Confab SQLite file before the server starts
/// (users <c>load00001</c>… with one precomputed password hash, rooms <c>load-0001</c>…), and the bearer tokens
/// the server will accept for them, signed with <see cref="AuthTokens"/> and the server's SECRET_KEY_BASE. Each
/// socket of a run is its own user, so presence is what it would be with real people.
/// </summary>
internal static class LoadDatabase
{
    public const string RoomPrefix = "load-";
    private const string UserPrefix = "load";

    /// <summary>Creates <paramref name="path"/> with the schema, <paramref name="users"/> users and <paramref name="rooms"/> rooms.</summary>
    public static async Task CreateAsync(string path, int users, int rooms)
    {
        if (File.Exists(path))
        {
            throw new IOException($"{path} exists; a load run starts from a fresh database");
        }

        using var executor = new SqliteExecutor(path, TimeSpan.FromSeconds(5));
        executor.Initialize();
        await new SqliteMigrator(executor, Path.Combine(AppContext.BaseDirectory, "db", "migrations")).ApplyAsync();

        string hash = new PasswordHasher<User>().HashPassword(null!, "load-password");
        string now = DbTime.ToText(DateTimeOffset.UtcNow);
        await using var connection = new SqliteConnection($"Data Source={path}");
        await connection.OpenAsync();
        await using var transaction = connection.BeginTransaction();
        await using (var insert = connection.CreateCommand())
        {
            insert.CommandText = "INSERT INTO users (username, email, password_hash, inserted_at, updated_at) VALUES ($name, $email, $hash, $now, $now)";
            var name = insert.Parameters.Add("$name", SqliteType.Text);
            var email = insert.Parameters.Add("$email", SqliteType.Text);
            insert.Parameters.AddWithValue("$hash", hash);
            insert.Parameters.AddWithValue("$now", now);
            for (int i = 1; i <= users; i++)
            {
                name.Value = UserName(i);
                email.Value = UserName(i) + "@load.example";
                await insert.ExecuteNonQueryAsync();
            }
        }

        await using (var insert = connection.CreateCommand())
        {
            insert.CommandText = "INSERT INTO rooms (name, description, slug, inserted_at, updated_at) VALUES ($name, 'load test', $slug, $now, $now)";
            var name = insert.Parameters.Add("$name", SqliteType.Text);
            var slug = insert.Parameters.Add("$slug", SqliteType.Text);
            insert.Parameters.AddWithValue("$now", now);
            for (int i = 1; i <= rooms; i++)
            {
                name.Value = $"Load {i:D4}";
                slug.Value = RoomSlug(i);
                await insert.ExecuteNonQueryAsync();
            }
        }

        await transaction.CommitAsync();
    }

    /// <summary>The first <paramref name="count"/> load users with a token each, and the first <paramref name="rooms"/> room slugs.</summary>
    public static async Task<(List<string> Tokens, List<string> Rooms)> ReadAsync(string path, string secret, int count, int rooms)
    {
        var tokens = new AuthTokens(Options.Create(new AuthOptions { SigningKey = secret, TokenLifetime = TimeSpan.FromHours(24) }), TimeProvider.System);
        var tokenList = new List<string>(count);
        var slugs = new List<string>(rooms);
        await using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly");
        await connection.OpenAsync();
        await using (var select = connection.CreateCommand())
        {
            select.CommandText = "SELECT id, username FROM users WHERE username LIKE 'load%' ORDER BY id LIMIT $count";
            select.Parameters.AddWithValue("$count", count);
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var user = new User(reader.GetInt64(0), reader.GetString(1), "", DateTime.UtcNow);
                tokenList.Add(tokens.Issue(user).Token);
            }
        }

        await using (var select = connection.CreateCommand())
        {
            select.CommandText = "SELECT slug FROM rooms WHERE slug LIKE 'load-%' ORDER BY id LIMIT $rooms";
            select.Parameters.AddWithValue("$rooms", rooms);
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                slugs.Add(reader.GetString(0));
            }
        }

        if (tokenList.Count < count || slugs.Count < rooms)
        {
            throw new InvalidOperationException(
                $"{path} holds {tokenList.Count} load users and {slugs.Count} load rooms; the run needs {count} and {rooms} (run `load-setup` with more)");
        }

        return (tokenList, slugs);
    }

    /// <summary>Messages stored in the database (a run starts from none).</summary>
    public static async Task<long> CountMessagesAsync(string path)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly");
        await connection.OpenAsync();
        await using var count = connection.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM messages";
        return (long)(await count.ExecuteScalarAsync())!;
    }

    private static string UserName(int i) => UserPrefix + i.ToString("D5", CultureInfo.InvariantCulture);

    private static string RoomSlug(int i) => RoomPrefix + i.ToString("D4", CultureInfo.InvariantCulture);
}

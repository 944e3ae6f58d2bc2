using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
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
/// socket of a run is its own user, so presence is what it would be with real people. Rooms may start with a history
/// of messages, as the web driver's rooms do.
/// </summary>
internal static class LoadDatabase
{
    public const string RoomPrefix = "load-";
    private const string UserPrefix = "load";

    /// <summary>The password of every load user (the web driver signs in with it).</summary>
    public const string Password = "load-password";

    // PBKDF2 iterations of the load users' password hash. Identity's default is 100,000 (V3, HMAC-SHA512), tens of ms of
    // server CPU per log-in: 5,000 browser sessions signing in would cost minutes of CPU and measure the hash, not the
    // pages. The V3 format carries its own count, so the server verifies this one as it is; Accounts.AuthenticateAsync
    // takes SuccessRehashNeeded as success and does not rehash (it never writes on log-in), so it stays cheap.
    private const int LoginIterations = 1;

    /// <summary>
    /// Creates <paramref name="path"/> with the schema, <paramref name="users"/> users, <paramref name="rooms"/> rooms and
    /// <paramref name="history"/> messages in each room, posted by users dealt into it. The first user is a member of the
    /// first <paramref name="firstUserIn"/> rooms (private ones), with their read marker halfway through the history and
    /// every fifth message after it mentioning them: a reader of many rooms, for <c>GET /api/rooms</c>.
    /// </summary>
    public static async Task CreateAsync(string path, int users, int rooms, int history = 0, int firstUserIn = 0)
    {
        if (File.Exists(path))
        {
            throw new IOException($"{path} exists; a load run starts from a fresh database");
        }

        using var executor = new SqliteExecutor(path, TimeSpan.FromSeconds(5));
        executor.Initialize();
        await new SqliteMigrator(executor, Path.Combine(AppContext.BaseDirectory, "db", "migrations")).ApplyAsync();

        string hash = CheapPasswordHash(Password);
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

        if (history > 0)
        {
            await InsertHistoryAsync(connection, users, rooms, history);
        }

        if (firstUserIn > 0)
        {
            await InsertReaderAsync(connection, firstUserIn, history, now);
        }

        await transaction.CommitAsync();
    }

    /// <summary>The first <paramref name="count"/> load users with a token each, and the first <paramref name="rooms"/> room slugs.</summary>
    public static async Task<(List<string> Tokens, List<long> UserIds, List<string> Rooms)> ReadAsync(string path, string secret, int count, int rooms)
    {
        var tokens = new AuthTokens(Options.Create(new AuthOptions { SigningKey = secret, TokenLifetime = TimeSpan.FromHours(24) }), TimeProvider.System);
        var tokenList = new List<string>(count);
        var ids = new List<long>(count);
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
                ids.Add(user.Id);
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

        return (tokenList, ids, slugs);
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

    /// <summary>An Identity V3 hash (HMAC-SHA512, 128-bit salt, 256-bit subkey) at <see cref="LoginIterations"/>; checked against Identity's verifier.</summary>
    private static string CheapPasswordHash(string password)
    {
        byte[] salt = RandomNumberGenerator.GetBytes(16);
        byte[] subkey = Rfc2898DeriveBytes.Pbkdf2(password, salt, LoginIterations, HashAlgorithmName.SHA512, 32);
        byte[] hash = new byte[13 + salt.Length + subkey.Length];
        hash[0] = 0x01; // V3
        BinaryPrimitives.WriteUInt32BigEndian(hash.AsSpan(1), 2); // KeyDerivationPrf.HMACSHA512
        BinaryPrimitives.WriteUInt32BigEndian(hash.AsSpan(5), LoginIterations);
        BinaryPrimitives.WriteUInt32BigEndian(hash.AsSpan(9), (uint)salt.Length);
        salt.CopyTo(hash, 13);
        subkey.CopyTo(hash, 13 + salt.Length);
        string text = Convert.ToBase64String(hash);
        if (new PasswordHasher<User>().VerifyHashedPassword(null!, text, password) == PasswordVerificationResult.Failed)
        {
            throw new InvalidOperationException("Identity does not verify the load users' password hash");
        }

        return text;
    }

    // Room r's history: seq 1..count, a minute apart, each by one of the users dealt into the room (user i is in room i % rooms).
    private static async Task InsertHistoryAsync(SqliteConnection connection, int users, int rooms, int count)
    {
        await using var insert = connection.CreateCommand();
        insert.CommandText = """
            INSERT INTO messages (room_id, user_id, seq, content, inserted_at)
            VALUES ((SELECT id FROM rooms WHERE slug = $slug), (SELECT id FROM users WHERE username = $user), $seq, $content, $at)
            """;
        var slug = insert.Parameters.Add("$slug", SqliteType.Text);
        var user = insert.Parameters.Add("$user", SqliteType.Text);
        var seq = insert.Parameters.Add("$seq", SqliteType.Integer);
        var content = insert.Parameters.Add("$content", SqliteType.Text);
        var at = insert.Parameters.Add("$at", SqliteType.Text);
        var start = DateTimeOffset.UtcNow.AddMinutes(-count);
        int perRoom = Math.Max(1, users / rooms);
        for (int room = 0; room < rooms; room++)
        {
            slug.Value = RoomSlug(room + 1);
            for (int i = 1; i <= count; i++)
            {
                user.Value = UserName(Math.Min(room + (rooms * ((i - 1) % perRoom)), users - 1) + 1);
                seq.Value = i;
                content.Value = $"Earlier message {i} in this room: a sentence or two of the kind people write, to give the page its weight.";
                at.Value = DbTime.ToText(start.AddMinutes(i));
                await insert.ExecuteNonQueryAsync();
            }
        }
    }

    // The first user in the first `rooms` rooms, made private: a member, marker at history / 2, mentioned in every fifth
    // message after it (unless they wrote it).
    private static async Task InsertReaderAsync(SqliteConnection connection, int rooms, int history, string now)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = """
            UPDATE rooms SET visibility = 'private' WHERE slug IN (SELECT slug FROM rooms WHERE slug LIKE 'load-%' ORDER BY id LIMIT $rooms);
            INSERT INTO room_members (room_id, user_id, role, last_read_seq, inserted_at)
                SELECT id, (SELECT id FROM users WHERE username = $reader), 'member', $marker, $now FROM rooms WHERE visibility = 'private';
            INSERT INTO message_mentions (user_id, room_id, seq, message_id)
                SELECT rm.user_id, m.room_id, m.seq, m.id FROM messages m JOIN room_members rm ON rm.room_id = m.room_id
                WHERE m.seq > $marker AND m.seq % 5 = 0 AND m.user_id <> rm.user_id;
            UPDATE messages SET mentions = '[' || (SELECT id FROM users WHERE username = $reader) || ']'
                WHERE id IN (SELECT message_id FROM message_mentions);
            """;
        command.Parameters.AddWithValue("$rooms", rooms);
        command.Parameters.AddWithValue("$reader", UserName(1));
        command.Parameters.AddWithValue("$marker", history / 2);
        command.Parameters.AddWithValue("$now", now);
        await command.ExecuteNonQueryAsync();
    }

    private static string UserName(int i) => UserPrefix + i.ToString("D5", CultureInfo.InvariantCulture);

    private static string RoomSlug(int i) => RoomPrefix + i.ToString("D4", CultureInfo.InvariantCulture);
}

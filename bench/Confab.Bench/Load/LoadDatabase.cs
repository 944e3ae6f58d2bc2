using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Confab.Accounts;
using Confab.Storage;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace Confab.Bench.Load;

/// <summary>
/// The users and rooms of a load run, written straight into a fresh Confab database (a SQLite file or a PostgreSQL
/// database: <see cref="LoadStorage"/>) before the server starts (users <c>load00001</c>… with one precomputed password
/// hash, rooms <c>load-0001</c>…), and the bearer tokens the server will accept for them, signed with
/// <see cref="AuthTokens"/> and the server's SECRET_KEY_BASE. Each socket of a run is its own user, so presence is what
/// it would be with real people. Rooms may start with a history of messages, as the web driver's rooms do.
/// </summary>
/// <remarks>
/// One implementation for both databases: the statements go through Confab's <see cref="ISqlExecutor"/> in SQLite's
/// dialect that PostgreSQL accepts too (as ChatStore's do), and the schema is the server's own migrations. Rows are
/// inserted many to a statement (multi-row VALUES within <see cref="SqlStatement.MaxParameters"/>), statements
/// <see cref="StatementsPerBatch"/> to a transaction: 100,000 users take a few thousand statements.
/// </remarks>
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

    /// <summary>Statements run in one transaction (<see cref="ISqlExecutor.BatchAsync"/>) during setup.</summary>
    private const int StatementsPerBatch = 200;

    /// <summary>
    /// Creates the database with the schema, <paramref name="users"/> users, <paramref name="rooms"/> rooms and
    /// <paramref name="history"/> messages in each room, posted by users dealt into it. The first user is a member of the
    /// first <paramref name="firstUserIn"/> rooms (private ones), with their read marker halfway through the history and
    /// every fifth message after it mentioning them: a reader of many rooms, for <c>GET /api/rooms</c>. The SQLite file
    /// must not exist yet; the PostgreSQL database must exist, empty.
    /// </summary>
    public static async Task CreateAsync(LoadStorage storage, int users, int rooms, int history = 0, int firstUserIn = 0)
    {
        if (storage.SqlitePath is { } path && File.Exists(path))
        {
            throw new IOException($"{path} exists; a load run starts from a fresh database");
        }

        await storage.UseAsync(async executor =>
        {
            if (!await LoadStorage.MigrateAsync(executor))
            {
                throw new InvalidOperationException($"{storage} already had Confab's schema; a load run starts from a fresh database");
            }

            string now = DbTime.ToText(DateTimeOffset.UtcNow);
            await RunAsync(executor, InsertUsers(users, CheapPasswordHash(Password), now));
            await RunAsync(executor, InsertRooms(rooms, now));
            if (history > 0)
            {
                await RunAsync(executor, await InsertHistoryAsync(executor, users, rooms, history));
            }

            if (firstUserIn > 0)
            {
                await executor.BatchAsync(InsertReader(firstUserIn, history, now));
            }

            return 0;
        });
    }

    /// <summary>The first <paramref name="count"/> load users with a token each, and the first <paramref name="rooms"/> room slugs.</summary>
    public static async Task<(List<string> Tokens, List<long> UserIds, List<string> Rooms)> ReadAsync(
        LoadStorage storage, string secret, int count, int rooms, int offset = 0)
    {
        var tokens = new AuthTokens(Options.Create(new AuthOptions { SigningKey = secret, TokenLifetime = TimeSpan.FromHours(24) }), TimeProvider.System);
        var results = await storage.UseAsync(executor => executor.ReadAsync(
        [
            new SqlStatement("SELECT id, username FROM users WHERE username LIKE 'load%' ORDER BY id LIMIT ?1 OFFSET ?2", count, offset),
            new SqlStatement("SELECT slug FROM rooms WHERE slug LIKE 'load-%' ORDER BY id LIMIT ?1", rooms),
        ]));
        var tokenList = new List<string>(count);
        var ids = new List<long>(count);
        foreach (var row in results[0].Rows)
        {
            var user = new User(row.GetInt64("id"), row.GetString("username"), "", DateTime.UtcNow);
            tokenList.Add(tokens.Issue(user).Token);
            ids.Add(user.Id);
        }

        var slugs = results[1].Rows.Select(row => row.GetString("slug")).ToList();
        if (tokenList.Count < count || slugs.Count < rooms)
        {
            throw new InvalidOperationException(
                $"{storage} holds {tokenList.Count} load users past {offset} and {slugs.Count} load rooms; the run needs {count} and {rooms} (run `load-setup` with more)");
        }

        return (tokenList, ids, slugs);
    }

    /// <summary>Messages stored in the database (a run starts from none).</summary>
    public static Task<long> CountMessagesAsync(LoadStorage storage) =>
        storage.UseAsync(async executor => (await executor.ExecuteAsync(new SqlStatement("SELECT COUNT(*) AS n FROM messages"))).Rows[0].GetInt64("n"));

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

    // Users load00001..: ?1 the password hash, ?2 the time, then a name and an email for each row.
    private static IEnumerable<SqlStatement> InsertUsers(int users, string hash, string now) => MultiRow(
        "INSERT INTO users (username, email, password_hash, inserted_at, updated_at) VALUES ",
        [hash, now],
        n => $"(?{n}, ?{n + 1}, ?1, ?2, ?2)",
        Enumerable.Range(1, users).Select(i => new object?[] { UserName(i), UserName(i) + "@load.example" }));

    // Rooms load-0001..: ?1 the time, then a name and a slug for each row.
    private static IEnumerable<SqlStatement> InsertRooms(int rooms, string now) => MultiRow(
        "INSERT INTO rooms (name, description, slug, inserted_at, updated_at) VALUES ",
        [now],
        n => $"(?{n}, 'load test', ?{n + 1}, ?1, ?1)",
        Enumerable.Range(1, rooms).Select(i => new object?[] { $"Load {i:D4}", RoomSlug(i) }));

    // Room r's history: seq 1..count, a minute apart, each by one of the users dealt into the room (user i is in room
    // i % rooms). The rooms' and users' ids are read first: looking each up by name in every row cost PostgreSQL four
    // times the inserts themselves. Per room: ?1 its id, ?2 the end of every text, then the author, the seq and the time
    // for each row.
    private static async Task<IEnumerable<SqlStatement>> InsertHistoryAsync(ISqlExecutor executor, int users, int rooms, int count)
    {
        var ids = await executor.ReadAsync(
        [
            new SqlStatement("SELECT id, username FROM users WHERE username LIKE 'load%'"),
            new SqlStatement("SELECT id, slug FROM rooms WHERE slug LIKE 'load-%'"),
        ]);
        var userIds = ids[0].Rows.ToDictionary(row => row.GetString("username"), row => row.GetInt64("id"), StringComparer.Ordinal);
        var roomIds = ids[1].Rows.ToDictionary(row => row.GetString("slug"), row => row.GetInt64("id"), StringComparer.Ordinal);
        var start = DateTimeOffset.UtcNow.AddMinutes(-count);
        int perRoom = Math.Max(1, users / rooms);
        const string Text = " in this room: a sentence or two of the kind people write, to give the page its weight.";
        return Enumerable.Range(0, rooms).SelectMany(room => MultiRow(
            "INSERT INTO messages (room_id, user_id, seq, content, inserted_at) VALUES ",
            [roomIds[RoomSlug(room + 1)], Text],
            n => $"(?1, ?{n}, ?{n + 1}, 'Earlier message ' || ?{n + 1} || ?2, ?{n + 2})",
            Enumerable.Range(1, count).Select(i => new object?[]
            {
                userIds[UserName(Math.Min(room + (rooms * ((i - 1) % perRoom)), users - 1) + 1)],
                i,
                DbTime.ToText(start.AddMinutes(i)),
            })));
    }

    // The first user in the first `rooms` rooms, made private: a member, marker at history / 2, mentioned in every fifth
    // message after it (unless they wrote it).
    private static SqlStatement[] InsertReader(int rooms, int history, string now) =>
    [
        new("UPDATE rooms SET visibility = 'private' WHERE slug IN (SELECT slug FROM rooms WHERE slug LIKE 'load-%' ORDER BY id LIMIT ?1)", rooms),
        new(
            """
            INSERT INTO room_members (room_id, user_id, role, last_read_seq, inserted_at)
                SELECT id, (SELECT id FROM users WHERE username = ?1), 'member', ?2, ?3 FROM rooms WHERE visibility = 'private'
            """,
            UserName(1),
            history / 2,
            now),
        new(
            """
            INSERT INTO message_mentions (user_id, room_id, seq, message_id)
                SELECT rm.user_id, m.room_id, m.seq, m.id FROM messages m JOIN room_members rm ON rm.room_id = m.room_id
                WHERE m.seq > ?1 AND m.seq % 5 = 0 AND m.user_id <> rm.user_id
            """,
            history / 2),
        new(
            "UPDATE messages SET mentions = '[' || (SELECT id FROM users WHERE username = ?1) || ']' WHERE id IN (SELECT message_id FROM message_mentions)",
            UserName(1)),
    ];

    /// <summary>
    /// <paramref name="insert"/> (ending in VALUES) with as many rows as fit in <see cref="SqlStatement.MaxParameters"/>
    /// per statement: <paramref name="shared"/> are ?1.., then each row's values, whose SQL <paramref name="row"/> makes
    /// from the number of its first parameter. A statement's text is the same for every full chunk, so it is prepared once.
    /// </summary>
    private static IEnumerable<SqlStatement> MultiRow(string insert, object?[] shared, Func<int, string> row, IEnumerable<object?[]> rows)
    {
        using var each = rows.GetEnumerator();
        if (!each.MoveNext())
        {
            yield break;
        }

        int perRow = each.Current.Length;
        int fit = (SqlStatement.MaxParameters - shared.Length) / perRow;
        bool more = true;
        while (more)
        {
            var sql = new StringBuilder(insert);
            var parameters = new List<object?>(shared);
            for (int i = 0; i < fit && more; i++)
            {
                sql.Append(i == 0 ? "" : ", ").Append(row(parameters.Count + 1));
                parameters.AddRange(each.Current);
                more = each.MoveNext();
            }

            yield return new SqlStatement(sql.ToString(), [.. parameters]);
        }
    }

    /// <summary>The statements, <see cref="StatementsPerBatch"/> to a transaction.</summary>
    private static async Task RunAsync(ISqlExecutor executor, IEnumerable<SqlStatement> statements)
    {
        foreach (var batch in statements.Chunk(StatementsPerBatch))
        {
            await executor.BatchAsync(batch);
        }
    }

    private static string UserName(int i) => UserPrefix + i.ToString("D5", CultureInfo.InvariantCulture);

    private static string RoomSlug(int i) => RoomPrefix + i.ToString("D4", CultureInfo.InvariantCulture);
}

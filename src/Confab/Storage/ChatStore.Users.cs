using Confab.Accounts;

namespace Confab.Storage;

public sealed partial class ChatStore
{
    private const string UserColumns = "id, username, email, inserted_at";

    /// <summary>Inserts a user; null when the username or email is taken (compared case-insensitively).</summary>
    public async Task<User?> CreateUserAsync(string username, string email, string passwordHash, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var at = DbTime.ToText(now);
        var row = await QuerySingleAsync(
            new SqlStatement(
                $"INSERT INTO users (username, email, password_hash, inserted_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?4) ON CONFLICT DO NOTHING RETURNING {UserColumns}",
                username, email, passwordHash, at),
            cancellationToken);
        return row is null ? null : ReadUser(row);
    }

    public async Task<(bool UsernameTaken, bool EmailTaken)> FindTakenAsync(string username, string email, CancellationToken cancellationToken = default)
    {
        var row = await QuerySingleAsync(
            new SqlStatement(
                "SELECT EXISTS (SELECT 1 FROM users WHERE username = ?1) AS username_taken, EXISTS (SELECT 1 FROM users WHERE email = ?2) AS email_taken",
                username, email),
            cancellationToken);
        return (row!.GetInt64("username_taken") != 0, row.GetInt64("email_taken") != 0);
    }

    /// <summary>The user whose username or email equals <paramref name="login"/> (any case), with the password hash.</summary>
    public async Task<(User User, string PasswordHash)?> FindUserByLoginAsync(string login, CancellationToken cancellationToken = default)
    {
        var row = await QuerySingleAsync(
            new SqlStatement($"SELECT {UserColumns}, password_hash FROM users WHERE (username = ?1 OR email = ?1) AND deactivated_at IS NULL LIMIT 1", login),
            cancellationToken);
        return row is null ? null : (ReadUser(row), row.GetString("password_hash"));
    }

    public async Task<User?> GetUserAsync(long id, CancellationToken cancellationToken = default)
    {
        var row = await QuerySingleAsync(new SqlStatement($"SELECT {UserColumns} FROM users WHERE id = ?1", id), cancellationToken);
        return row is null ? null : ReadUser(row);
    }

    /// <summary>Marks a user deactivated (once: a second call keeps the first time).</summary>
    public async Task DeactivateUserAsync(long userId, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        await executor.ExecuteAsync(
            new SqlStatement("UPDATE users SET deactivated_at = ?2 WHERE id = ?1 AND deactivated_at IS NULL", userId, DbTime.ToText(now)), cancellationToken);

    public async Task<IReadOnlyList<long>> ListDeactivatedUsersAsync(CancellationToken cancellationToken = default) =>
        (await executor.ExecuteAsync(new SqlStatement("SELECT id FROM users WHERE deactivated_at IS NOT NULL"), cancellationToken))
            .Rows.Select(row => row.GetInt64("id")).ToList();

    private static User ReadUser(SqlRow row) =>
        new(row.GetInt64("id"), row.GetString("username"), row.GetString("email"), DbTime.Parse(row.GetString("inserted_at")));
}

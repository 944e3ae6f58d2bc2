namespace Confab.Storage;

/// <summary>
/// All of Confab's SQL, in one dialect (SQLite's, which is D1's), run by an <see cref="ISqlExecutor"/>; PostgreSQL runs
/// the same text (<see cref="SqlDialect.Postgres"/> names the few places where it needs its own).
/// Split by table: <c>ChatStore.Users.cs</c>, <c>ChatStore.Rooms.cs</c>, <c>ChatStore.Messages.cs</c>.
/// </summary>
public sealed partial class ChatStore
{
    private readonly ISqlExecutor executor;

    /// <summary>With <paramref name="metrics"/>, every statement is timed (<c>confab.db.statement.duration</c>).</summary>
    public ChatStore(ISqlExecutor executor, Telemetry.ConfabMetrics? metrics = null) =>
        this.executor = metrics is null ? executor : new Telemetry.TimedSqlExecutor(executor, metrics);

    public ISqlExecutor Executor => executor;

    /// <summary>A cheap round trip, for readiness checks.</summary>
    public async Task PingAsync(CancellationToken cancellationToken = default) =>
        await executor.ExecuteAsync(new SqlStatement("SELECT 1 AS ok FROM rooms LIMIT 1"), cancellationToken);

    private async Task<SqlRow?> QuerySingleAsync(SqlStatement statement, CancellationToken cancellationToken)
    {
        var result = await executor.ExecuteAsync(statement, cancellationToken);
        return result.Rows.Count > 0 ? result.Rows[0] : null;
    }

    public async Task<IReadOnlyList<string>> GetDataProtectionKeysAsync(CancellationToken cancellationToken = default) =>
        (await executor.ExecuteAsync(new SqlStatement("SELECT xml FROM data_protection_keys ORDER BY id"), cancellationToken))
            .Rows.Select(row => row.GetString("xml")).ToList();

    public async Task StoreDataProtectionKeyAsync(string friendlyName, string xml, CancellationToken cancellationToken = default) =>
        await executor.ExecuteAsync(
            new SqlStatement("INSERT INTO data_protection_keys (friendly_name, xml) VALUES (?1, ?2) ON CONFLICT (friendly_name) DO UPDATE SET xml = excluded.xml", friendlyName, xml),
            cancellationToken);
}

using Confab.Storage;
using Confab.Tests.Infrastructure;

namespace Confab.Tests.Storage;

/// <summary>
/// One conformance suite for every <see cref="ISqlExecutor"/>: the executor's contract here (values, meta, batches,
/// errors), <see cref="ChatStore"/> and <see cref="Messages.MessageLog"/> on top of it in the other part. It runs as
/// <see cref="SqliteStoreTests"/> (a new file per test), <see cref="D1StoreTests"/> (the run's local D1, emptied first)
/// and <see cref="PostgresStoreTests"/> (a new PostgreSQL database per test). Where the databases word an error
/// differently, <see cref="Says"/> gives each one's words.
/// </summary>
public abstract partial class StoreConformanceTests : IAsyncLifetime
{
    protected ISqlExecutor Executor { get; private set; } = null!;

    protected ChatStore Store { get; private set; } = null!;

    /// <summary>An executor over a database in its fresh state: migrated, the three seeded rooms, nothing else.</summary>
    protected abstract Task<ISqlExecutor> OpenFreshAsync();

    public async Task InitializeAsync()
    {
        Executor = await OpenFreshAsync().Within(60);
        Store = new ChatStore(Executor);
    }

    public virtual Task DisposeAsync() => Task.CompletedTask;

    /// <summary>PostgreSQL rather than SQLite's dialect (a file, D1).</summary>
    protected virtual bool IsPostgres => false;

    /// <summary>How the database words a failure: SQLite's (and D1's) words, or PostgreSQL's.</summary>
    private string Says(string sqlite, string postgres) => IsPostgres ? postgres : sqlite;

    private Task<SqlResult> RunAsync(string sql, params object?[] parameters) => Executor.ExecuteAsync(new SqlStatement(sql, parameters)).Within();

    private static SqlStatement NewRoom(string slug) =>
        new("INSERT INTO rooms (name, slug, inserted_at, updated_at) VALUES (?1, ?1, '2026-11-28T10:00:00.000Z', '2026-11-28T10:00:00.000Z') RETURNING id, slug", slug);

    [Fact]
    public async Task Values_come_back_as_long_double_string_and_null()
    {
        var row = (await RunAsync(
            "SELECT 42 AS i, 2.5 AS r, 'text' AS t, NULL AS n, ?1 AS pi, ?2 AS pr, ?3 AS pt, ?4 AS pn", 7L, 0.25, "añ😀", null)).Rows.Single();

        Assert.Equal(42L, row["i"]);
        Assert.Equal(2.5, row["r"]);
        Assert.Equal("text", row["t"]);
        Assert.Null(row["n"]);
        Assert.Equal(7L, row["pi"]);
        Assert.Equal(0.25, row["pr"]);
        Assert.Equal("añ😀", row["pt"]);
        Assert.Null(row["pn"]);
    }

    [Fact]
    public async Task A_batch_answers_values_meta_and_errors_as_a_single_statement_does()
    {
        const string Values = "SELECT 42 AS i, 2.5 AS r, 'text' AS t, NULL AS n, ?1 AS pi, ?2 AS pr, ?3 AS pt, ?4 AS pn";

        // Twice, so that the second run reuses whatever the executor kept from the first.
        for (var run = 0; run < 2; run++)
        {
            var results = await Executor.BatchAsync([new SqlStatement(Values, 7L + run, 0.25, "añ😀", null), NewRoom($"room-{run}")]).Within();
            var row = results[0].Rows.Single();
            Assert.Equal((42L, 2.5, "text", null, 7L + run, 0.25, "añ😀", null), (row["i"], row["r"], row["t"], row["n"], row["pi"], row["pr"], row["pt"], row["pn"]));
            Assert.Equal(0, results[0].Changes);
            Assert.Equal(1, results[1].Changes);
            Assert.Equal(results[1].Rows.Single().GetInt64("id"), results[1].LastRowId);
        }

        var invalid = await Assert.ThrowsAsync<StorageException>(() => Executor.BatchAsync([NewRoom("never"), new SqlStatement("SELEC 1")])).Within();
        Assert.Equal(StorageErrorKind.Invalid, invalid.Kind);
        Assert.Contains("syntax error", invalid.Message, StringComparison.Ordinal);
        var constraint = await Assert.ThrowsAsync<StorageException>(() => Executor.BatchAsync([NewRoom("never"), NewRoom("general")])).Within();
        Assert.Equal(StorageErrorKind.Constraint, constraint.Kind);
        Assert.Contains(Says("UNIQUE constraint failed: rooms.slug", "(rooms_slug_key)"), constraint.Message, StringComparison.Ordinal);
        Assert.Equal(0, (await RunAsync("SELECT COUNT(*) AS n FROM rooms WHERE slug = 'never'")).Rows[0].GetInt64("n"));
    }

    [Fact]
    public async Task An_integer_is_stored_as_an_integer_and_exact_up_to_2_pow_53_minus_1()
    {
        var user = await Store.CreateUserAsync("alice", "alice@example.com", "hash", DateTimeOffset.UtcNow).Within();
        await RunAsync(
            "INSERT INTO messages (room_id, user_id, seq, content, inserted_at) VALUES (1, ?1, ?2, 'x', 't')", user!.Id, SqlStatement.MaxSafeInteger);

        var row = (await RunAsync(
            Says("SELECT seq, typeof(seq) AS type FROM messages WHERE user_id = ?1", "SELECT seq, pg_typeof(seq)::text AS type FROM messages WHERE user_id = ?1"),
            user.Id)).Rows.Single();

        Assert.Equal(SqlStatement.MaxSafeInteger, row.GetInt64("seq"));
        Assert.Equal(Says("integer", "bigint"), row.GetString("type"));
        // Beyond it D1 would round silently, so no executor accepts it.
        Assert.Throws<ArgumentException>(() => new SqlStatement("SELECT ?1", SqlStatement.MaxSafeInteger + 1));
    }

    [Fact]
    public async Task An_insert_reports_one_change_and_its_row_id_and_an_update_its_changes()
    {
        var inserted = await Executor.ExecuteAsync(NewRoom("alpha")).Within();
        await Executor.ExecuteAsync(NewRoom("beta")).Within();

        var updated = await RunAsync("UPDATE rooms SET description = 'd' WHERE slug IN ('alpha', 'beta')");

        Assert.Equal(1, inserted.Changes);
        Assert.Equal(inserted.Rows.Single().GetInt64("id"), inserted.LastRowId);
        Assert.Equal(2, updated.Changes);
        Assert.Empty(updated.Rows);
    }

    [Fact]
    public async Task A_batch_answers_each_statement_in_order_and_later_ones_see_earlier_ones()
    {
        var results = await Executor.BatchAsync(
        [
            NewRoom("first"),
            new SqlStatement("SELECT COUNT(*) AS n FROM rooms"),
            NewRoom("second"),
        ]).Within();

        Assert.Equal(3, results.Count);
        Assert.Equal("first", results[0].Rows.Single().GetString("slug"));
        Assert.Equal(4, results[1].Rows.Single().GetInt64("n"));
        Assert.Equal("second", results[2].Rows.Single().GetString("slug"));
        Assert.Empty(await Executor.BatchAsync([]).Within());
    }

    [Fact]
    public async Task A_batch_commits_all_of_its_statements_or_none()
    {
        var error = await Assert.ThrowsAsync<StorageException>(() => Executor.BatchAsync([NewRoom("fresh"), NewRoom("general")])).Within();

        Assert.Equal(StorageErrorKind.Constraint, error.Kind);
        Assert.Equal(0, (await RunAsync("SELECT COUNT(*) AS n FROM rooms WHERE slug = 'fresh'")).Rows[0].GetInt64("n"));
    }

    [Fact]
    public async Task A_unique_violation_is_a_constraint_error_with_the_database_code_and_message()
    {
        var error = await Assert.ThrowsAsync<StorageException>(() => Executor.ExecuteAsync(NewRoom("general"))).Within();

        Assert.Equal(StorageErrorKind.Constraint, error.Kind);
        Assert.False(string.IsNullOrEmpty(error.Code));
        Assert.Contains(Says("UNIQUE constraint failed: rooms.slug", "duplicate key value violates unique constraint"), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Foreign_keys_are_enforced()
    {
        var error = await Assert.ThrowsAsync<StorageException>(() => RunAsync(
            "INSERT INTO messages (room_id, user_id, seq, content, inserted_at) VALUES (999, 999, 1, 'x', 't')")).Within();

        Assert.Equal(StorageErrorKind.Constraint, error.Kind);
        Assert.Contains(Says("FOREIGN KEY constraint failed", "violates foreign key constraint"), error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SELEC 1", "syntax error", "syntax error")]
    [InlineData("SELECT * FROM no_such_table", "no such table", "relation \"no_such_table\" does not exist")]
    [InlineData("SELECT no_such_column FROM rooms", "no such column", "column \"no_such_column\" does not exist")]
    public async Task A_statement_the_database_cannot_run_is_invalid_and_says_why(string sql, string sqliteWhy, string postgresWhy)
    {
        var error = await Assert.ThrowsAsync<StorageException>(() => RunAsync(sql)).Within();

        Assert.Equal(StorageErrorKind.Invalid, error.Kind);
        Assert.Contains(Says(sqliteWhy, postgresWhy), error.Message, StringComparison.Ordinal);
    }
}

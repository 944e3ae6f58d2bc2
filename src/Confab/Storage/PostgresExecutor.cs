using System.Collections.Concurrent;
using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace Confab.Storage;

/// <summary>
/// Runs <see cref="ChatStore"/>'s SQL on PostgreSQL (Npgsql), the database every node of a cluster shares. The text is
/// SQLite's; what it uses that PostgreSQL lacks (<c>changes()</c>, two-argument <c>max</c> and <c>min</c>, a
/// <c>json_each</c> of integers, case-insensitive usernames) the schema defines (<c>db/postgres</c>), and the
/// parameters <c>?1</c>..<c>?N</c> become <c>$1</c>..<c>$N</c> here.
/// </summary>
/// <remarks>
/// <para>A batch is one <see cref="NpgsqlBatch"/>: every statement goes in one round trip and PostgreSQL runs them as
/// one implicit transaction, so all commit or none do. A read of several statements is the same with a
/// <c>REPEATABLE READ</c> transaction around it, so that they read one snapshot.</para>
/// <para>Text parameters are sent untyped and PostgreSQL infers their type from where they stand, as SQLite takes any
/// value anywhere: a username compared with a <c>citext</c> column is then compared in any case.</para>
/// <para>PostgreSQL has no last-insert-rowid: <see cref="SqlResult.LastRowId"/> is the <c>id</c> an insert returns
/// (<c>RETURNING id</c>), or 0.</para>
/// </remarks>
public sealed class PostgresExecutor : ISqlExecutor, IAsyncDisposable, IDisposable
{
    /// <summary>Statement texts whose translation is kept: Confab's SQL is a fixed set; past this, texts are translated each time.</summary>
    private const int MaxCachedTexts = 2048;

    private static readonly ConcurrentDictionary<string, PostgresText> Translated = new(StringComparer.Ordinal);
    private static readonly SqlRow[] NoRows = [];

    private readonly NpgsqlDataSource dataSource;

    public PostgresExecutor(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var settings = new NpgsqlConnectionStringBuilder(connectionString);
        if (settings.MaxAutoPrepare == 0)
        {
            // ChatStore's SQL is a fixed set of texts, run again and again: each connection keeps them prepared instead of
            // PostgreSQL parsing and planning every statement of every group commit (bench/RESULTS.md, scenario D).
            settings.MaxAutoPrepare = 128;
            settings.AutoPrepareMinUsages = 2;
        }

        // Confab leaves no session state on a connection (no SET, temporary table, LISTEN or advisory lock past the
        // migrator's, which lets go of its own), so a connection going back to the pool needs no reset: Npgsql's reset is
        // seven statements run ahead of the next use (it keeps prepared statements, so no DISCARD ALL), more than a
        // group commit's own. An open or failed transaction is still rolled back.
        settings.NoResetOnClose = true;

        dataSource = NpgsqlDataSource.Create(settings.ConnectionString);
    }

    public SqlDialect Dialect => SqlDialect.Postgres;

    /// <summary>Connections for the migrator, which runs scripts of its own.</summary>
    internal NpgsqlDataSource DataSource => dataSource;

    public async Task<SqlResult> ExecuteAsync(SqlStatement statement, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(statement);
        return (await RunAsync([statement], readOnly: false, blocking: false, cancellationToken))[0];
    }

    public async Task<IReadOnlyList<SqlResult>> BatchAsync(IReadOnlyList<SqlStatement> statements, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(statements);
        return statements.Count == 0 ? [] : await RunAsync(statements, readOnly: false, blocking: false, cancellationToken);
    }

    /// <summary>
    /// The batch with Npgsql's synchronous I/O, on the calling thread (the message log's writer): the commit's answer is
    /// read there, not by a thread-pool thread that the sockets' work keeps waiting, and what follows a commit (the
    /// senders' replies, the publish) runs on the writer too, as on SQLite.
    /// </summary>
    public IReadOnlyList<SqlResult> Batch(IReadOnlyList<SqlStatement> statements)
    {
        ArgumentNullException.ThrowIfNull(statements);
        if (statements.Count == 0)
        {
            return [];
        }

        // Every await in RunAsync is of a finished task when blocking: the ValueTask is complete on return.
        var run = RunAsync(statements, readOnly: false, blocking: true, CancellationToken.None);
        return run.IsCompleted ? run.Result : BlockingWait.Result(run);
    }

    public async Task<IReadOnlyList<SqlResult>> ReadAsync(IReadOnlyList<SqlStatement> statements, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(statements);
        return statements.Count == 0 ? [] : await RunAsync(statements, readOnly: statements.Count > 1, blocking: false, cancellationToken);
    }

    public void Dispose() => dataSource.Dispose();

    public ValueTask DisposeAsync() => dataSource.DisposeAsync();

    /// <summary>One round trip; with <paramref name="blocking"/>, with Npgsql's synchronous calls (it then completes before it returns).</summary>
    private async ValueTask<SqlResult[]> RunAsync(IReadOnlyList<SqlStatement> statements, bool readOnly, bool blocking, CancellationToken cancellationToken)
    {
        NpgsqlConnection? connection = null;
        try
        {
            connection = blocking ? dataSource.OpenConnection() : await dataSource.OpenConnectionAsync(cancellationToken);
            using var batch = new NpgsqlBatch(connection);
            var first = 0;
            if (readOnly)
            {
                // One snapshot for every statement, in the same round trip: the batch opens and ends its transaction.
                batch.BatchCommands.Add(new NpgsqlBatchCommand("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
                first = 1;
            }

            // Statements without rows (an UPDATE, an INSERT without RETURNING) have no result set in the reader, so
            // the result sets are matched to the statements that return rows, in order.
            var withRows = new List<int>(statements.Count);
            for (var i = 0; i < statements.Count; i++)
            {
                var text = Translate(statements[i].Sql);
                batch.BatchCommands.Add(Command(text.Sql, statements[i].Parameters));
                if (text.ReturnsRows)
                {
                    withRows.Add(first + i);
                }
            }

            if (readOnly)
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand("COMMIT"));
            }

            var rows = new List<SqlRow>?[batch.BatchCommands.Count];
            var returnedIds = new long[batch.BatchCommands.Count];
            var reader = blocking ? batch.ExecuteReader() : await batch.ExecuteReaderAsync(cancellationToken);
            try
            {
                var set = 0;
                do
                {
                    if (reader.FieldCount == 0)
                    {
                        continue; // no statement returned rows
                    }

                    if (set >= withRows.Count)
                    {
                        throw Mismatch(withRows.Count);
                    }

                    var index = withRows[set++];
                    var list = rows[index] = [];
                    var id = IdColumn(reader);
                    while (blocking ? reader.Read() : await reader.ReadAsync(cancellationToken))
                    {
                        list.Add(ReadRow(reader));
                        if (id >= 0 && !reader.IsDBNull(id))
                        {
                            returnedIds[index] = Convert.ToInt64(reader.GetValue(id), System.Globalization.CultureInfo.InvariantCulture);
                        }
                    }
                }
                while (blocking ? reader.NextResult() : await reader.NextResultAsync(cancellationToken));

                if (set != withRows.Count)
                {
                    throw Mismatch(withRows.Count);
                }
            }
            finally
            {
                if (blocking)
                {
                    reader.Dispose();
                }
                else
                {
                    await reader.DisposeAsync();
                }
            }

            var results = new SqlResult[statements.Count];
            for (var i = 0; i < statements.Count; i++)
            {
                var command = batch.BatchCommands[first + i];
                var changes = command.StatementType is StatementType.Insert or StatementType.Update or StatementType.Delete
                    ? Math.Max(0, command.RecordsAffected)
                    : 0;
                results[i] = new SqlResult(
                    (IReadOnlyList<SqlRow>?)rows[first + i] ?? NoRows,
                    changes,
                    command.StatementType == StatementType.Insert ? returnedIds[first + i] : 0);
            }

            return results;
        }
        catch (PostgresException e)
        {
            throw Translate(e);
        }
        catch (NpgsqlException e)
        {
            throw new StorageException($"PostgreSQL could not be reached or failed mid-request: {e.Message}", StorageErrorKind.Unavailable, e);
        }
        catch (TimeoutException e)
        {
            throw new StorageException($"PostgreSQL did not answer in time: {e.Message}", StorageErrorKind.Unavailable, e);
        }
        finally
        {
            if (connection is not null)
            {
                if (blocking)
                {
                    connection.Dispose();
                }
                else
                {
                    await connection.DisposeAsync();
                }
            }
        }
    }

    private static StorageException Mismatch(int expected) =>
        new($"PostgreSQL's result sets do not match the {expected} statement(s) taken to return rows (a SELECT, or RETURNING).", StorageErrorKind.Invalid);

    private static int IdColumn(NpgsqlDataReader reader)
    {
        for (var i = 0; i < reader.FieldCount; i++)
        {
            if (reader.GetName(i) == "id")
            {
                return i;
            }
        }

        return -1;
    }

    private static NpgsqlBatchCommand Command(string sql, IReadOnlyList<object?> parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in parameters)
        {
            command.Parameters.Add(value switch
            {
                long number => new NpgsqlParameter { Value = number, NpgsqlDbType = NpgsqlDbType.Bigint },
                int number => new NpgsqlParameter { Value = number, NpgsqlDbType = NpgsqlDbType.Integer },
                double number => new NpgsqlParameter { Value = number, NpgsqlDbType = NpgsqlDbType.Double },
                // Text and null go untyped: PostgreSQL takes the type the statement gives them (citext, bigint...).
                _ => new NpgsqlParameter { Value = value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Unknown },
            });
        }

        return command;
    }

    /// <summary>Integers as <see cref="long"/>, numbers as <see cref="double"/>, booleans as 1 or 0: what SQLite answers.</summary>
    private static SqlRow ReadRow(NpgsqlDataReader reader)
    {
        var values = new Dictionary<string, object?>(reader.FieldCount, StringComparer.Ordinal);
        for (var i = 0; i < reader.FieldCount; i++)
        {
            values[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i) switch
            {
                short number => (long)number,
                int number => (long)number,
                decimal number => (double)number,
                float number => (double)number,
                bool truth => truth ? 1L : 0L,
                var other => other,
            };
        }

        return new SqlRow(values);
    }

    /// <summary>
    /// SQLite's numbered parameters <c>?N</c> as PostgreSQL's <c>$N</c>, outside quoted text and names; and whether the
    /// statement returns rows: a query (<c>SELECT</c>, <c>VALUES</c>, <c>WITH</c>), or a write with <c>RETURNING</c>.
    /// </summary>
    internal static PostgresText Translate(string sql)
    {
        if (Translated.TryGetValue(sql, out var known))
        {
            return known;
        }

        var translated = new StringBuilder(sql.Length);
        char? quote = null;
        for (var i = 0; i < sql.Length; i++)
        {
            var c = sql[i];
            if (quote is { } open)
            {
                quote = c == open ? null : quote; // a doubled quote closes and opens again: same result
            }
            else if (c is '\'' or '"')
            {
                quote = c;
            }
            else if (c == '?' && i + 1 < sql.Length && char.IsAsciiDigit(sql[i + 1]))
            {
                c = '$';
            }

            translated.Append(c);
        }

        var trimmed = sql.AsSpan().TrimStart();
        var text = new PostgresText(
            translated.ToString(),
            trimmed.StartsWith("SELECT", StringComparison.OrdinalIgnoreCase) || trimmed.StartsWith("VALUES", StringComparison.OrdinalIgnoreCase)
                || trimmed.StartsWith("WITH", StringComparison.OrdinalIgnoreCase) || sql.Contains("RETURNING", StringComparison.OrdinalIgnoreCase));
        if (Translated.Count < MaxCachedTexts)
        {
            Translated.TryAdd(sql, text);
        }

        return text;
    }

    private static StorageException Translate(PostgresException e)
    {
        // SQLSTATE classes: https://www.postgresql.org/docs/current/errcodes-appendix.html
        var kind = e.SqlState[..2] switch
        {
            "23" => StorageErrorKind.Constraint,                  // integrity constraint violation
            "42" or "22" or "0A" => StorageErrorKind.Invalid,     // syntax or access rule, data exception, not supported
            _ => StorageErrorKind.Unavailable,                    // connection, resources, serialization, shutting down...
        };
        var what = e.ConstraintName is { } constraint ? $"{e.MessageText} ({constraint})" : e.MessageText;
        return new StorageException($"PostgreSQL: {what}", kind, e) { Code = e.SqlState };
    }
}

/// <summary>A statement as PostgreSQL takes it, and whether it answers with rows (a result set).</summary>
internal sealed record PostgresText(string Sql, bool ReturnsRows);

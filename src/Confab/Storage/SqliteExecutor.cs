using Microsoft.Data.Sqlite;

namespace Confab.Storage;

/// <summary>
/// Runs SQL against a local SQLite file: WAL journal, foreign keys on, synchronous=FULL, a busy timeout,
/// pooled connections. A batch is one transaction.
/// </summary>
/// <remarks>
/// Batches (MessageLog's group commits) run one at a time on one long-lived connection that keeps each statement
/// prepared from one batch to the next (<see cref="PreparedSqliteStatement"/>): a group commit repeats the same few
/// statements, and opening a connection and preparing them again per batch cost about a tenth of the batch.
/// Single statements open a pooled connection each, as reads from many requests at once want.
/// </remarks>
public sealed class SqliteExecutor : ISqlExecutor, IDisposable
{
    /// <summary>Distinct statement texts kept prepared on the batch connection; past this, they are all dropped.</summary>
    private const int MaxPreparedBatchStatements = 64;

    /// <summary>Reader connections kept open between reads, each with its statements prepared.</summary>
    private const int MaxIdleReaders = 8;

    private const string Begin = "BEGIN IMMEDIATE";

    // A read transaction: in WAL mode it reads one snapshot and never blocks the writer.
    private const string BeginRead = "BEGIN";
    private const string Commit = "COMMIT";

    private readonly string connectionString;
    private readonly int busyTimeoutMs;
    private readonly Lock batchLock = new();
    private PreparedConnection? batchConnection;
    private readonly System.Collections.Concurrent.ConcurrentBag<PreparedConnection> readers = [];
    private bool disposed;

    public SqliteExecutor(string databasePath, TimeSpan busyTimeout)
    {
        DatabasePath = Path.GetFullPath(databasePath);
        busyTimeoutMs = (int)Math.Clamp(busyTimeout.TotalMilliseconds, 1, int.MaxValue);
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            ForeignKeys = true,
            Pooling = true,
            DefaultTimeout = Math.Max(1, (int)busyTimeout.TotalSeconds),
        }.ToString();
    }

    public string DatabasePath { get; }

    /// <summary>Creates the file's folder and switches the file to WAL (a property of the file, kept across opens).</summary>
    public void Initialize()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(DatabasePath)!);
        using var connection = Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode=WAL;";
        command.ExecuteNonQuery();
    }

    /// <summary>Runs a script of several statements in one transaction (migrations); no parameters.</summary>
    public void ExecuteScript(string sql, SqlStatement? andThen = null)
    {
        Run(connection =>
        {
            using var transaction = connection.BeginTransaction();
            using (var command = connection.CreateCommand())
            {
                command.CommandText = sql;
                command.ExecuteNonQuery();
            }

            if (andThen is not null)
            {
                using var command = Prepare(connection, andThen);
                command.ExecuteNonQuery();
            }

            transaction.Commit();
            return 0;
        });
    }

    public Task<SqlResult> ExecuteAsync(SqlStatement statement, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(statement);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Run(connection =>
        {
            using var command = Prepare(connection, statement);
            return Read(command);
        }));
    }

    public Task<IReadOnlyList<SqlResult>> BatchAsync(IReadOnlyList<SqlStatement> statements, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Batch(statements));
    }

    /// <summary>A batch runs on the calling thread whichever way it is called: SQLite has no asynchronous I/O.</summary>
    public IReadOnlyList<SqlResult> Batch(IReadOnlyList<SqlStatement> statements)
    {
        ArgumentNullException.ThrowIfNull(statements);
        lock (batchLock)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            try
            {
                return RunBatch(statements);
            }
            catch (SqliteException e)
            {
                var error = Translate(e);
                if (error.Kind == StorageErrorKind.Unavailable)
                {
                    // Busy, I/O error, disk full...: start over on a fresh connection next time.
                    CloseBatchConnection();
                }

                throw error;
            }
        }
    }

    /// <summary>
    /// A read transaction on one of the reader connections (never the batch connection, so reads do not wait for a group
    /// commit), whose statements stay prepared: a join reads three statements, and preparing them anew each time through
    /// Microsoft.Data.Sqlite cost more than running them (bench/RESULTS.md, session 6).
    /// </summary>
    public Task<IReadOnlyList<SqlResult>> ReadAsync(IReadOnlyList<SqlStatement> statements, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(statements);
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(disposed, this);
        var reader = readers.TryTake(out var idle) ? idle : new PreparedConnection(Open());
        try
        {
            var results = reader.RunTransaction(BeginRead, statements);
            ReturnReader(reader);
            return Task.FromResult<IReadOnlyList<SqlResult>>(results);
        }
        catch (SqliteException e)
        {
            reader.Dispose();
            throw Translate(e);
        }
        catch
        {
            reader.Dispose();
            throw;
        }
    }

    private void ReturnReader(PreparedConnection reader)
    {
        if (disposed || readers.Count >= MaxIdleReaders)
        {
            reader.Dispose();
            return;
        }

        readers.Add(reader);
        if (disposed && readers.TryTake(out var late))
        {
            late.Dispose();
        }
    }

    /// <summary>
    /// Gives back SQLite's page caches (up to 2 MB per connection): idle pooled connections are closed, and the batch
    /// connection's cache is emptied. After a burst of joins, each pooled connection kept a warm cache for good.
    /// </summary>
    public void ReleaseMemory()
    {
        using (var pooled = new SqliteConnection(connectionString))
        {
            SqliteConnection.ClearPool(pooled);
        }

        CloseIdleReaders();

        lock (batchLock)
        {
            if (batchConnection?.Connection.Handle is { } handle)
            {
                _ = SQLitePCL.raw.sqlite3_exec(handle, "PRAGMA shrink_memory");
            }
        }
    }

    /// <summary>Closes the batch connection. Other calls open and close their own.</summary>
    public void Dispose()
    {
        lock (batchLock)
        {
            disposed = true;
            CloseBatchConnection();
        }

        CloseIdleReaders();
    }

    private void CloseIdleReaders()
    {
        while (readers.TryTake(out var reader))
        {
            reader.Dispose();
        }
    }

    /// <summary>
    /// A connection with the statements it has run kept prepared (at most <see cref="MaxPreparedBatchStatements"/> distinct
    /// texts; past that, all are dropped): the batch connection, and each reader connection.
    /// </summary>
    private sealed class PreparedConnection(SqliteConnection connection) : IDisposable
    {
        private readonly Dictionary<string, PreparedSqliteStatement> prepared = new(StringComparer.Ordinal);

        public SqliteConnection Connection => connection;

        /// <summary>The statements in one transaction opened with <paramref name="begin"/>; rolled back if one fails.</summary>
        public SqlResult[] RunTransaction(string begin, IReadOnlyList<SqlStatement> statements)
        {
            var results = new SqlResult[statements.Count];
            Ready(begin).Run([]);
            try
            {
                for (var i = 0; i < statements.Count; i++)
                {
                    results[i] = Ready(statements[i].Sql).Run(statements[i].Parameters);
                }

                Ready(Commit).Run([]);
            }
            catch
            {
                RollBack(connection);
                throw;
            }

            return results;
        }

        public PreparedSqliteStatement Ready(string sql)
        {
            if (!prepared.TryGetValue(sql, out var ready))
            {
                if (prepared.Count >= MaxPreparedBatchStatements)
                {
                    DropPrepared();
                }

                ready = PreparedSqliteStatement.Prepare(connection.Handle!, sql);
                prepared.Add(sql, ready);
            }

            return ready;
        }

        public void Dispose()
        {
            DropPrepared();
            connection.Dispose();
        }

        private void DropPrepared()
        {
            foreach (var statement in prepared.Values)
            {
                statement.Dispose();
            }

            prepared.Clear();
        }
    }

    // BEGIN and COMMIT are prepared like the batch's statements: through SqliteTransaction each batch made two commands,
    // each with a finalizer and a weak reference the connection keeps, which the GC then finalized one by one.
    private SqlResult[] RunBatch(IReadOnlyList<SqlStatement> statements)
    {
        batchConnection ??= new PreparedConnection(Open());
        return batchConnection.RunTransaction(Begin, statements);
    }

    // A failed COMMIT may leave the transaction open (SQLITE_BUSY); a failed statement always does.
    private static void RollBack(SqliteConnection connection)
    {
        if (SQLitePCL.raw.sqlite3_get_autocommit(connection.Handle) == 0)
        {
            _ = SQLitePCL.raw.sqlite3_exec(connection.Handle, "ROLLBACK");
        }
    }

    private void CloseBatchConnection()
    {
        batchConnection?.Dispose();
        batchConnection = null;
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(connectionString);
        connection.Open();
        // A deleted message's text must be gone from the file, not left in freed space: SQLite zeroes what it frees.
        _ = SQLitePCL.raw.sqlite3_exec(connection.Handle, "PRAGMA secure_delete = ON");
        // Statements run through SQLitePCL directly (PreparedSqliteStatement) bypass Microsoft.Data.Sqlite's own retries:
        // SQLite's busy handler makes them wait for another connection's write (a read marker) instead of failing.
        _ = SQLitePCL.raw.sqlite3_busy_timeout(connection.Handle, busyTimeoutMs);
        return connection;
    }

    private T Run<T>(Func<SqliteConnection, T> work)
    {
        try
        {
            using var connection = Open();
            return work(connection);
        }
        catch (SqliteException e)
        {
            throw Translate(e);
        }
    }

    private static SqliteCommand Prepare(SqliteConnection connection, SqlStatement statement)
    {
        var command = connection.CreateCommand();
        command.CommandText = statement.Sql;
        for (var i = 0; i < statement.Parameters.Count; i++)
        {
            command.Parameters.Add(new SqliteParameter(ParameterName(i), statement.Parameters[i] ?? DBNull.Value));
        }

        return command;
    }

    private static readonly string[] ParameterNames =
        Enumerable.Range(1, SqlStatement.MaxParameters).Select(i => "?" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    private static string ParameterName(int index) => ParameterNames[index];

    private static readonly SqlRow[] NoRows = [];

    private static SqlResult Read(SqliteCommand command)
    {
        List<SqlRow>? rows = null;
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                rows ??= [];
                var values = new Dictionary<string, object?>(reader.FieldCount, StringComparer.Ordinal);
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    values[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
                }

                rows.Add(new SqlRow(values));
            }

            var changes = Math.Max(0, reader.RecordsAffected);
            return new SqlResult((IReadOnlyList<SqlRow>?)rows ?? NoRows, changes, LastInsertRowId(command.Connection!));
        }
    }

    private static long LastInsertRowId(SqliteConnection connection) =>
        SQLitePCL.raw.sqlite3_last_insert_rowid(connection.Handle);

    private static StorageException Translate(SqliteException e)
    {
        // Primary result codes: https://sqlite.org/rescode.html
        var kind = e.SqliteErrorCode switch
        {
            19 => StorageErrorKind.Constraint,                       // SQLITE_CONSTRAINT
            1 or 20 or 25 => StorageErrorKind.Invalid,               // SQLITE_ERROR, SQLITE_MISMATCH, SQLITE_RANGE
            _ => StorageErrorKind.Unavailable,                       // BUSY, LOCKED, READONLY, IOERR, FULL, CANTOPEN...
        };
        return new StorageException($"SQLite: {e.Message}", kind, e)
        {
            Code = e.SqliteExtendedErrorCode.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
    }
}

using Microsoft.Data.Sqlite;

namespace Confab.Storage;

/// <summary>
/// Runs SQL against a local SQLite file: WAL journal, foreign keys on, synchronous=FULL, a busy timeout,
/// pooled connections. A batch is one transaction.
/// </summary>
public sealed class SqliteExecutor : ISqlExecutor
{
    private readonly string connectionString;

    public SqliteExecutor(string databasePath, TimeSpan busyTimeout)
    {
        DatabasePath = Path.GetFullPath(databasePath);
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
        ArgumentNullException.ThrowIfNull(statements);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Run<IReadOnlyList<SqlResult>>(connection =>
        {
            var results = new SqlResult[statements.Count];
            using var transaction = connection.BeginTransaction();
            // A group commit repeats one statement many times: prepare each distinct text once.
            var prepared = new Dictionary<string, SqliteCommand>(StringComparer.Ordinal);
            try
            {
                for (var i = 0; i < statements.Count; i++)
                {
                    var statement = statements[i];
                    if (!prepared.TryGetValue(statement.Sql, out var command))
                    {
                        command = Prepare(connection, statement);
                        prepared.Add(statement.Sql, command);
                    }
                    else
                    {
                        Bind(command, statement);
                    }

                    results[i] = Read(command);
                }
            }
            finally
            {
                foreach (var command in prepared.Values)
                {
                    command.Dispose();
                }
            }

            transaction.Commit();
            return results;
        }));
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(connectionString);
        connection.Open();
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

    private static void Bind(SqliteCommand command, SqlStatement statement)
    {
        for (var i = 0; i < statement.Parameters.Count; i++)
        {
            command.Parameters[i].Value = statement.Parameters[i] ?? DBNull.Value;
        }
    }

    private static readonly string[] ParameterNames =
        Enumerable.Range(1, SqlStatement.MaxParameters).Select(i => "?" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    private static string ParameterName(int index) => ParameterNames[index];

    private static SqlResult Read(SqliteCommand command)
    {
        var rows = new List<SqlRow>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                var values = new Dictionary<string, object?>(reader.FieldCount, StringComparer.Ordinal);
                for (var i = 0; i < reader.FieldCount; i++)
                {
                    values[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
                }

                rows.Add(new SqlRow(values));
            }

            var changes = Math.Max(0, reader.RecordsAffected);
            return new SqlResult(rows, changes, LastInsertRowId(command.Connection!));
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

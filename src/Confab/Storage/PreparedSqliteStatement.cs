using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Confab.Storage;

/// <summary>
/// One statement prepared once on <see cref="SqliteExecutor"/>'s batch connection and run many times, straight on
/// SQLite's API: parameters bound by position, columns read by index.
/// </summary>
/// <remarks>
/// A group commit runs the same insert once per message. Through Microsoft.Data.Sqlite each run looked every
/// parameter up by name and built a data reader; that was a third of the time per message outside SQLite itself.
/// Results and errors are the same as through <see cref="SqliteCommand"/>: errors come out as <see cref="SqliteException"/>.
/// </remarks>
internal sealed class PreparedSqliteStatement : IDisposable
{
    private static readonly SqlRow[] NoRows = [];

    private readonly sqlite3 db;
    private readonly sqlite3_stmt statement;
    private readonly int parameterCount;
    private readonly bool readOnly;
    private string[]? columns;

    private PreparedSqliteStatement(sqlite3 db, sqlite3_stmt statement)
    {
        this.db = db;
        this.statement = statement;
        parameterCount = raw.sqlite3_bind_parameter_count(statement);
        readOnly = raw.sqlite3_stmt_readonly(statement) != 0;
    }

    public static PreparedSqliteStatement Prepare(sqlite3 db, string sql)
    {
        var rc = raw.sqlite3_prepare_v2(db, sql, out var statement, out var tail);
        if (rc != raw.SQLITE_OK)
        {
            statement?.Dispose();
            throw Error(db, rc);
        }

        if (statement is null || !string.IsNullOrWhiteSpace(tail))
        {
            statement?.Dispose();
            throw new StorageException("A statement of a batch must be exactly one SQL statement.", StorageErrorKind.Invalid);
        }

        return new PreparedSqliteStatement(db, statement);
    }

    public SqlResult Run(IReadOnlyList<object?> parameters)
    {
        if (parameters.Count != parameterCount)
        {
            throw new StorageException(
                $"The statement takes {parameterCount} parameter(s); {parameters.Count} were given.", StorageErrorKind.Invalid);
        }

        try
        {
            for (var i = 0; i < parameters.Count; i++)
            {
                Check(Bind(i + 1, parameters[i]));
            }

            List<SqlRow>? rows = null;
            int rc;
            while ((rc = raw.sqlite3_step(statement)) == raw.SQLITE_ROW)
            {
                (rows ??= []).Add(ReadRow());
            }

            if (rc != raw.SQLITE_DONE)
            {
                throw Error(db, rc);
            }

            var changes = readOnly ? 0 : raw.sqlite3_changes(db);
            return new SqlResult((IReadOnlyList<SqlRow>?)rows ?? NoRows, changes, raw.sqlite3_last_insert_rowid(db));
        }
        finally
        {
            raw.sqlite3_reset(statement);
        }
    }

    public void Dispose() => statement.Dispose();

    private int Bind(int index, object? value) => value switch
    {
        null => raw.sqlite3_bind_null(statement, index),
        long number => raw.sqlite3_bind_int64(statement, index, number),
        int number => raw.sqlite3_bind_int64(statement, index, number),
        double number => raw.sqlite3_bind_double(statement, index, number),
        string text => raw.sqlite3_bind_text(statement, index, text),
        // SqlStatement admits nothing else.
        _ => throw new StorageException($"Parameter ?{index} has a type no database takes: {value.GetType().Name}.", StorageErrorKind.Invalid),
    };

    private SqlRow ReadRow()
    {
        columns ??= ColumnNames();
        var values = new Dictionary<string, object?>(columns.Length, StringComparer.Ordinal);
        for (var i = 0; i < columns.Length; i++)
        {
            values[columns[i]] = raw.sqlite3_column_type(statement, i) switch
            {
                raw.SQLITE_INTEGER => raw.sqlite3_column_int64(statement, i),
                raw.SQLITE_FLOAT => raw.sqlite3_column_double(statement, i),
                raw.SQLITE_TEXT => raw.sqlite3_column_text(statement, i).utf8_to_string(),
                raw.SQLITE_BLOB => raw.sqlite3_column_blob(statement, i).ToArray(),
                _ => null,
            };
        }

        return new SqlRow(values);
    }

    private string[] ColumnNames()
    {
        var names = new string[raw.sqlite3_column_count(statement)];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = raw.sqlite3_column_name(statement, i).utf8_to_string();
        }

        return names;
    }

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            throw Error(db, rc);
        }
    }

    /// <summary>The error as Microsoft.Data.Sqlite raises it, so that <see cref="SqliteExecutor"/> translates both alike.</summary>
    private static SqliteException Error(sqlite3 db, int rc) =>
        new($"SQLite Error {rc}: '{raw.sqlite3_errmsg(db).utf8_to_string()}'.", rc, raw.sqlite3_extended_errcode(db));
}

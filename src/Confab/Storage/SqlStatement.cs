namespace Confab.Storage;

/// <summary>
/// One SQL statement in the SQLite dialect (which is D1's), with numbered parameters <c>?1</c>..<c>?N</c>.
/// </summary>
/// <remarks>
/// D1's limits are enforced here, so that a statement that would fail on D1 fails the same way on SQLite, in tests,
/// before it ships: at most <see cref="MaxParameters"/> parameters, each a <see cref="long"/> (or <see cref="int"/>)
/// within ±<see cref="MaxSafeInteger"/>, a finite <see cref="double"/>, a <see cref="string"/>, or null.
/// </remarks>
public sealed class SqlStatement
{
    /// <summary>D1's limit of bound parameters per statement.</summary>
    public const int MaxParameters = 100;

    /// <summary>
    /// 2^53 - 1, the largest integer a parameter may hold: D1's JSON carries numbers as JavaScript doubles, which are
    /// exact only up to here. Larger values would be silently rounded on D1.
    /// </summary>
    public const long MaxSafeInteger = 9_007_199_254_740_991;

    public SqlStatement(string sql, params object?[] parameters)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(sql);
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Length > MaxParameters)
        {
            throw new ArgumentException(
                $"A statement may bind at most {MaxParameters} parameters (D1's limit); this one binds {parameters.Length}.",
                nameof(parameters));
        }

        for (var i = 0; i < parameters.Length; i++)
        {
            if (!IsPortable(parameters[i]))
            {
                throw new ArgumentException(
                    $"Parameter ?{i + 1} ({parameters[i]?.GetType().Name}) cannot travel to D1 unchanged: use a long within ±{MaxSafeInteger}, "
                    + "a finite double, a string or null.",
                    nameof(parameters));
            }
        }

        Sql = sql;
        Parameters = parameters;
    }

    public string Sql { get; }

    /// <summary>Values for <c>?1</c>..<c>?N</c>: <see cref="long"/>, <see cref="double"/>, <see cref="string"/> or null.</summary>
    public IReadOnlyList<object?> Parameters { get; }

    private static bool IsPortable(object? value) => value switch
    {
        null or string or int => true,
        long number => number is >= -MaxSafeInteger and <= MaxSafeInteger,
        double number => double.IsFinite(number),
        _ => false,
    };
}

/// <summary>The outcome of one statement: its rows and D1-style meta.</summary>
public sealed class SqlResult(IReadOnlyList<SqlRow> rows, long changes, long lastRowId)
{
    public IReadOnlyList<SqlRow> Rows { get; } = rows;

    /// <summary>Rows changed by an INSERT, UPDATE or DELETE.</summary>
    public long Changes { get; } = changes;

    /// <summary>The rowid of the last inserted row on this connection.</summary>
    public long LastRowId { get; } = lastRowId;
}

/// <summary>One result row: column values by name. Integers are <see cref="long"/>, reals <see cref="double"/>.</summary>
public sealed class SqlRow(IReadOnlyDictionary<string, object?> values)
{
    public object? this[string column] =>
        values.TryGetValue(column, out var value) ? value : throw new KeyNotFoundException($"No column '{column}' in the result row.");

    public long GetInt64(string column) => this[column] switch
    {
        long l => l,
        double d => checked((long)d),
        string s => long.Parse(s, System.Globalization.CultureInfo.InvariantCulture),
        var other => throw new InvalidCastException($"Column '{column}' holds {other?.GetType().Name ?? "null"}, not an integer."),
    };

    public string GetString(string column) =>
        this[column] as string ?? throw new InvalidCastException($"Column '{column}' is not a string.");

    public string? GetNullableString(string column) => this[column] as string;
}

/// <summary>A statement the database refused or could not run. <see cref="Code"/> names the cause when known.</summary>
public sealed class StorageException : Exception
{
    public StorageException(string message, StorageErrorKind kind, Exception? innerException = null)
        : base(message, innerException) => Kind = kind;

    public StorageException() : this("Storage failed.", StorageErrorKind.Unavailable) { }

    public StorageException(string message) : this(message, StorageErrorKind.Unavailable) { }

    public StorageException(string message, Exception innerException)
        : this(message, StorageErrorKind.Unavailable, innerException) { }

    public StorageErrorKind Kind { get; }

    /// <summary>The database's own error code, e.g. SQLite's extended result code or D1's error code.</summary>
    public string? Code { get; init; }
}

public enum StorageErrorKind
{
    /// <summary>The database could not be reached or could not write (busy, read-only, disk full, timed out).</summary>
    Unavailable,

    /// <summary>A constraint (unique, foreign key, check) rejected the statement.</summary>
    Constraint,

    /// <summary>The statement itself is wrong (syntax, too many parameters, too large).</summary>
    Invalid,
}

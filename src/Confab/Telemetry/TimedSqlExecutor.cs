using System.Collections.Concurrent;
using System.Diagnostics;
using Confab.Storage;

namespace Confab.Telemetry;

/// <summary>Times every statement an <see cref="ISqlExecutor"/> runs, by operation (<c>select messages</c>, <c>batch</c>).</summary>
public sealed class TimedSqlExecutor(ISqlExecutor inner, ConfabMetrics metrics) : ISqlExecutor
{
    // Confab's SQL is a fixed set of constant texts, so this stays small.
    private static readonly ConcurrentDictionary<string, string> Operations = new(StringComparer.Ordinal);

    public SqlDialect Dialect => inner.Dialect;

    public async Task<SqlResult> ExecuteAsync(SqlStatement statement, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            return await inner.ExecuteAsync(statement, cancellationToken);
        }
        finally
        {
            metrics.StatementRan(Operations.GetOrAdd(statement.Sql, Describe), Stopwatch.GetElapsedTime(started));
        }
    }

    public async Task<IReadOnlyList<SqlResult>> BatchAsync(IReadOnlyList<SqlStatement> statements, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            return await inner.BatchAsync(statements, cancellationToken);
        }
        finally
        {
            metrics.StatementRan("batch", Stopwatch.GetElapsedTime(started));
        }
    }

    public async Task<IReadOnlyList<SqlResult>> ReadAsync(IReadOnlyList<SqlStatement> statements, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            return await inner.ReadAsync(statements, cancellationToken);
        }
        finally
        {
            // A read of several statements is named by its first: "select messages".
            metrics.StatementRan(statements.Count == 0 ? "read" : Operations.GetOrAdd(statements[0].Sql, Describe), Stopwatch.GetElapsedTime(started));
        }
    }

    public void ReleaseMemory() => inner.ReleaseMemory();

    /// <summary>"SELECT m.id ... FROM messages m JOIN users" becomes "select messages"; "INSERT INTO rooms" "insert rooms".</summary>
    public static string Describe(string sql)
    {
        var words = sql.Split((char[])[' ', '\n', '\r', '\t', '(', ','], StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
        {
            return "other";
        }

        var verb = words[0].ToLowerInvariant();
        var marker = verb switch
        {
            "select" => "from",
            "insert" => "into",
            "update" => null,
            "delete" => "from",
            _ => "",
        };
        var index = marker switch
        {
            null => 1,
            "" => -1,
            _ => Array.FindIndex(words, w => w.Equals(marker, StringComparison.OrdinalIgnoreCase)) + 1,
        };
        return index > 0 && index < words.Length ? $"{verb} {words[index].Trim('"').ToLowerInvariant()}" : verb;
    }
}

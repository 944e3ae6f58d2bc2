using Confab.Storage;

namespace Confab.Tests.Infrastructure;

/// <summary>A real executor, with a count of what went through it: batches (writes; reads are not counted), and statements whose SQL contains a given text.</summary>
public sealed class CountingExecutor(ISqlExecutor inner) : ISqlExecutor
{
    public SqlDialect Dialect => inner.Dialect;

    private readonly List<string> statements = [];
    private int batches;

    public int Batches => Volatile.Read(ref batches);

    public int StatementsContaining(string text)
    {
        lock (statements)
        {
            return statements.Count(sql => sql.Contains(text, StringComparison.Ordinal));
        }
    }

    public Task<SqlResult> ExecuteAsync(SqlStatement statement, CancellationToken cancellationToken = default)
    {
        Record(statement);
        return inner.ExecuteAsync(statement, cancellationToken);
    }

    public Task<IReadOnlyList<SqlResult>> BatchAsync(IReadOnlyList<SqlStatement> statements, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref batches);
        foreach (var statement in statements)
        {
            Record(statement);
        }

        return inner.BatchAsync(statements, cancellationToken);
    }

    public Task<IReadOnlyList<SqlResult>> ReadAsync(IReadOnlyList<SqlStatement> statements, CancellationToken cancellationToken = default)
    {
        foreach (var statement in statements)
        {
            Record(statement);
        }

        return inner.ReadAsync(statements, cancellationToken);
    }

    private void Record(SqlStatement statement)
    {
        lock (statements)
        {
            statements.Add(statement.Sql);
        }
    }
}

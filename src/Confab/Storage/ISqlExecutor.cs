namespace Confab.Storage;

/// <summary>
/// Runs <see cref="ChatStore"/>'s SQL against a database: a local SQLite file, D1 over its HTTP JSON contract, or
/// PostgreSQL.
/// </summary>
/// <remarks>
/// The contract mirrors D1's: one statement, or a batch of statements that commits atomically (one transaction).
/// Failures surface as <see cref="StorageException"/>.
/// </remarks>
public interface ISqlExecutor
{
    /// <summary>
    /// Where the statements run: SQLite's dialect (a file, D1), or PostgreSQL, which runs the same text (its schema
    /// defines what SQLite has and it lacks: db/postgres/0001_initial_schema.sql) but needs a few statements of its own.
    /// </summary>
    SqlDialect Dialect => SqlDialect.Sqlite;

    Task<SqlResult> ExecuteAsync(SqlStatement statement, CancellationToken cancellationToken = default);

    /// <summary>Runs every statement in one transaction: all commit, or none do. One result per statement, in order.</summary>
    Task<IReadOnlyList<SqlResult>> BatchAsync(IReadOnlyList<SqlStatement> statements, CancellationToken cancellationToken = default);

    /// <summary>
    /// <see cref="BatchAsync"/> on the calling thread, which it blocks until the batch committed or failed: for a thread
    /// of its own that does nothing else meanwhile (the message log's writer), so that what follows the commit runs there
    /// too and never waits for the thread pool. By default <see cref="BatchAsync"/>, waited for; an executor whose
    /// database client can run synchronously (SQLite, Npgsql) runs it so.
    /// </summary>
    IReadOnlyList<SqlResult> Batch(IReadOnlyList<SqlStatement> statements) => BlockingWait.Result(BatchAsync(statements));

    /// <summary>
    /// Runs read-only statements as of one instant (one read transaction), so that what they read belongs together. By
    /// default as a <see cref="BatchAsync"/>: D1 runs a batch as one transaction.
    /// </summary>
    Task<IReadOnlyList<SqlResult>> ReadAsync(IReadOnlyList<SqlStatement> statements, CancellationToken cancellationToken = default) =>
        BatchAsync(statements, cancellationToken);

    /// <summary>Gives back memory the database keeps in this process (caches), after load has passed. Nothing by default.</summary>
    void ReleaseMemory()
    {
    }
}

/// <summary>The database behind an <see cref="ISqlExecutor"/>, where ChatStore's SQL must differ.</summary>
public enum SqlDialect
{
    /// <summary>SQLite, as a file or as D1: one writer at a time (a batch holds the database's write lock).</summary>
    Sqlite,

    /// <summary>
    /// PostgreSQL: writers run at once, so a group commit locks the rows of the rooms it writes before it reads their
    /// seqs; a statement costs it much more than a row, so a group commit's consecutive posts are one statement.
    /// </summary>
    Postgres,
}

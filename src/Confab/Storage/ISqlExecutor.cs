namespace Confab.Storage;

/// <summary>
/// Runs <see cref="ChatStore"/>'s SQL against a database: a local SQLite file, or D1 over its HTTP JSON contract.
/// </summary>
/// <remarks>
/// The contract mirrors D1's: one statement, or a batch of statements that commits atomically (one transaction).
/// Failures surface as <see cref="StorageException"/>.
/// </remarks>
public interface ISqlExecutor
{
    Task<SqlResult> ExecuteAsync(SqlStatement statement, CancellationToken cancellationToken = default);

    /// <summary>Runs every statement in one transaction: all commit, or none do. One result per statement, in order.</summary>
    Task<IReadOnlyList<SqlResult>> BatchAsync(IReadOnlyList<SqlStatement> statements, CancellationToken cancellationToken = default);

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

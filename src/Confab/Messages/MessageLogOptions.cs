using System.ComponentModel.DataAnnotations;

namespace Confab.Messages;

/// <summary>How <see cref="MessageLog"/> groups commits. Bound from <c>Confab:MessageLog</c>.</summary>
public sealed class MessageLogOptions
{
    public const string Section = "Confab:MessageLog";

    /// <summary>
    /// The most statements of changes committed in one transaction (one D1 <c>batch</c>): a message posted is one, a
    /// reaction two, a delete three, an edit four; a batch holds at least one change. Default 990, the most D1 takes: a batch
    /// holds what queued while the one before committed, so the cap only matters when the writer fell behind, and a
    /// larger one lets it catch up sooner (25,000 messages/s over sockets: reply p99 52 and 36 ms with 1,000, 51 and 639 ms
    /// with 256). 1 turns group commit off (one transaction per message), which only benchmarks want.
    /// </summary>
    [Range(1, 5000, ErrorMessage = "Confab:MessageLog:MaxBatchSize must be between 1 and 5000.")]
    public int MaxBatchSize { get; set; } = MessageLogOptionsValidator.D1MaxBatchSize;

    /// <summary>Messages waiting for the writer before senders wait for room (back-pressure). Default 10,000.</summary>
    [Range(1, 1_000_000, ErrorMessage = "Confab:MessageLog:QueueCapacity must be between 1 and 1,000,000.")]
    public int QueueCapacity { get; set; } = 10_000;
}

/// <summary>
/// On D1 a group commit is one Worker invocation, which may run at most 1,000 queries: one per message (up to four per
/// other change), plus one per 100 rooms of the batch (<see cref="Storage.RoomChangeBatch"/>), so 990 at most.
/// </summary>
internal sealed class MessageLogOptionsValidator(Microsoft.Extensions.Options.IOptions<Storage.StorageOptions> storage)
    : Microsoft.Extensions.Options.IValidateOptions<MessageLogOptions>
{
    public const int D1MaxBatchSize = 990;

    private const int D1MaxQueries = 1000;

    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, MessageLogOptions options) =>
        storage.Value.Provider == Storage.StorageProvider.D1 && options.MaxBatchSize > D1MaxBatchSize
            ? Microsoft.Extensions.Options.ValidateOptionsResult.Fail(
                $"Confab:MessageLog:MaxBatchSize must be at most {D1MaxBatchSize} with Storage:Provider=D1: one group commit is one D1 batch of a query per message and one per 100 rooms, and a Worker invocation may run at most {D1MaxQueries} queries.")
            : Microsoft.Extensions.Options.ValidateOptionsResult.Success;
}

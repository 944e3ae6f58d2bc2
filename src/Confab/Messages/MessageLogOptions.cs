using System.ComponentModel.DataAnnotations;

namespace Confab.Messages;

/// <summary>How <see cref="MessageLog"/> groups commits. Bound from <c>Confab:MessageLog</c>.</summary>
public sealed class MessageLogOptions
{
    public const string Section = "Confab:MessageLog";

    /// <summary>
    /// The most messages committed in one transaction (one D1 <c>batch</c>). Default 256. 1 turns group commit off
    /// (one transaction per message), which only benchmarks want.
    /// </summary>
    [Range(1, 5000, ErrorMessage = "Confab:MessageLog:MaxBatchSize must be between 1 and 5000.")]
    public int MaxBatchSize { get; set; } = 256;

    /// <summary>Messages waiting for the writer before senders wait for room (back-pressure). Default 10,000.</summary>
    [Range(1, 1_000_000, ErrorMessage = "Confab:MessageLog:QueueCapacity must be between 1 and 1,000,000.")]
    public int QueueCapacity { get; set; } = 10_000;
}

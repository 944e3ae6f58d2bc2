using System.ComponentModel.DataAnnotations;

namespace Confab.Messages;

/// <summary>The rules for what users post. Bound from <c>Confab:Messages</c>.</summary>
public sealed class MessageOptions
{
    public const string Section = "Confab:Messages";

    /// <summary>The longest message, in Unicode characters (code points), after trimming. Default 2,000.</summary>
    [Range(1, 16_000, ErrorMessage = "Confab:Messages:MaxLength must be between 1 and 16000.")]
    public int MaxLength { get; set; } = 2000;

    /// <summary>The longest client_id (a sender's idempotency key). Default 128.</summary>
    [Range(1, 1024, ErrorMessage = "Confab:Messages:MaxClientIdLength must be between 1 and 1024.")]
    public int MaxClientIdLength { get; set; } = 128;

    /// <summary>Messages one user may post per <see cref="RateLimitWindow"/>, across rooms and transports. Default 10.</summary>
    [Range(1, 1_000_000, ErrorMessage = "Confab:Messages:RateLimitCount must be at least 1.")]
    public int RateLimitCount { get; set; } = 10;

    /// <summary>The window of the per-user message rate limit. Default 10 s.</summary>
    public TimeSpan RateLimitWindow { get; set; } = TimeSpan.FromSeconds(10);
}

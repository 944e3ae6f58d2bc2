using System.Threading.RateLimiting;
using Confab.Rooms;
using Confab.Telemetry;
using Microsoft.Extensions.Options;

namespace Confab.Messages;

/// <summary>
/// Posting a message, the same for every transport (socket, REST, UI): validate, rate-limit per user,
/// then commit through <see cref="MessageLog"/>.
/// </summary>
public sealed class MessagePoster : IDisposable
{
    private readonly MessageLog log;
    private readonly ConfabMetrics metrics;
    private readonly MessageOptions options;
    private readonly PartitionedRateLimiter<long> limiter;

    public MessagePoster(MessageLog log, IOptions<MessageOptions> options, ConfabMetrics metrics)
    {
        this.log = log;
        this.metrics = metrics;
        this.options = options.Value;
        var count = this.options.RateLimitCount;
        var window = this.options.RateLimitWindow;
        limiter = PartitionedRateLimiter.Create<long, long>(userId => RateLimitPartition.GetSlidingWindowLimiter(userId, _ =>
            new SlidingWindowRateLimiterOptions
            {
                PermitLimit = count,
                Window = window,
                SegmentsPerWindow = 10,
                QueueLimit = 0,
            }));
    }

    public async ValueTask<PostResult> PostAsync(
        Room room, MessageAuthor author, string? content, string? clientId, CancellationToken cancellationToken = default)
    {
        var receivedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        var text = MessageContent.Normalize(content ?? "");
        if (Validate(text, clientId) is { } errors)
        {
            metrics.MessageRejected("validation");
            return PostResult.Invalid(errors);
        }

        using (var lease = limiter.AttemptAcquire(author.Id))
        {
            if (!lease.IsAcquired)
            {
                var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : options.RateLimitWindow;
                metrics.MessageRejected("rate_limit");
                return PostResult.RateLimited(retryAfter);
            }
        }

        AppendResult appended;
        try
        {
            appended = await log.AppendAsync(room, author, text, clientId, receivedAt, cancellationToken);
        }
        catch (Storage.StorageException)
        {
            metrics.MessageRejected("storage");
            throw;
        }

        if (!appended.Duplicate)
        {
            metrics.MessageAccepted();
        }

        return PostResult.Posted(appended.Message, appended.Duplicate);
    }

    private Dictionary<string, string[]>? Validate(string text, string? clientId)
    {
        var errors = default(Dictionary<string, string[]>);
        if (text.Length == 0)
        {
            (errors ??= [])["content"] = ["content can't be blank"];
        }
        else if (MessageContent.Length(text) > options.MaxLength)
        {
            (errors ??= [])["content"] = [$"content must be at most {options.MaxLength} characters"];
        }

        if (clientId is not null && (clientId.Length == 0 || clientId.Length > options.MaxClientIdLength))
        {
            (errors ??= [])["client_id"] = [$"client_id must be 1 to {options.MaxClientIdLength} characters"];
        }

        return errors;
    }

    public void Dispose() => limiter.Dispose();
}

public enum PostOutcome
{
    Posted,
    Invalid,
    RateLimited,
}

/// <summary>What became of a post: the committed message, the validation errors by field, or how long to wait.</summary>
public sealed class PostResult
{
    private PostResult(PostOutcome outcome) => Outcome = outcome;

    public PostOutcome Outcome { get; }

    public Message? Message { get; private init; }

    /// <summary>The message had been stored earlier under the same client_id; nothing new was stored or broadcast.</summary>
    public bool Duplicate { get; private init; }

    public IReadOnlyDictionary<string, string[]>? Errors { get; private init; }

    public TimeSpan RetryAfter { get; private init; }

    public static PostResult Posted(Message message, bool duplicate) => new(PostOutcome.Posted) { Message = message, Duplicate = duplicate };

    public static PostResult Invalid(IReadOnlyDictionary<string, string[]> errors) => new(PostOutcome.Invalid) { Errors = errors };

    public static PostResult RateLimited(TimeSpan retryAfter) => new(PostOutcome.RateLimited) { RetryAfter = retryAfter };
}

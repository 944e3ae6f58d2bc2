using System.Threading.RateLimiting;
using Confab.Cluster;
using Confab.Rooms;
using Confab.Storage;
using Confab.Telemetry;
using Microsoft.Extensions.Options;

namespace Confab.Messages;

/// <summary>
/// What people do to messages, the same for every transport (socket, REST, UI): post, edit, delete, react. Each checks
/// its input and who may do it, rate-limits posts and edits per user, then commits through <see cref="MessageLog"/>,
/// which broadcasts the event. The room is one the actor may see (<see cref="RoomDirectory.GetForAsync(long, string, CancellationToken)"/>,
/// a channel's join); a post also needs a member who is not muted or held by slow mode (posting to a public room joins it).
/// </summary>
public sealed class MessageActions : IDisposable
{
    public const string RateLimitedReason = "Too many messages. Please slow down.";
    public const string NotFoundReason = "unknown message";
    public const string OtherRoomReason = "message in another room";
    public const string NotYoursReason = "not your message";
    public const string DeletedReason = "deleted message";
    public const string BadEmojiReason = "emoji must be a single emoji";
    public const string TooManyReactionsReason = "too many distinct reactions on this message (at most 20)";
    public const string ChangedMeanwhileReason = "the message changed meanwhile; please retry";

    private readonly MessageLog log;
    private readonly ChatStore store;
    private readonly MemberActions members;
    private readonly ConfabMetrics metrics;
    private readonly MessageOptions options;
    private readonly PartitionedRateLimiter<long> limiter;

    public MessageActions(
        MessageLog log, ChatStore store, MemberActions members, IOptions<MessageOptions> options, ConfabMetrics metrics, Cluster.ClusterLimits limits)
    {
        this.log = log;
        this.store = store;
        this.members = members;
        this.metrics = metrics;
        this.options = options.Value;
        var count = this.options.RateLimitCount;
        var window = this.options.RateLimitWindow;
        // Counted by the cluster (one node alone when there is no Redis, or while it does not answer).
        limiter = PartitionedRateLimiter.Create<long, long>(userId => RateLimitPartition.Get(
            userId, id => new Cluster.SharedWindowLimiter(limits, "messages:" + id.ToString(System.Globalization.CultureInfo.InvariantCulture), count, window)));
    }

    /// <summary>Posts a message, optionally in reply to another of the room (<paramref name="replyTo"/>, a message id).</summary>
    public async ValueTask<ChangeResult> PostAsync(
        Room room, MessageAuthor author, string? content, string? clientId, long? replyTo = null, CancellationToken cancellationToken = default)
    {
        var receivedAt = System.Diagnostics.Stopwatch.GetTimestamp();
        var text = MessageContent.Normalize(content ?? "");
        var errors = ValidateContent(text);
        if (clientId is not null && (clientId.Length == 0 || clientId.Length > options.MaxClientIdLength))
        {
            (errors ??= [])["client_id"] = [$"client_id must be 1 to {options.MaxClientIdLength} characters"];
        }

        if (errors is not null)
        {
            metrics.MessageRejected("validation");
            return ChangeResult.Invalid(errors);
        }

        ReplyPreview? preview = null;
        if (replyTo is { } repliedId)
        {
            var replied = await store.GetMessageAsync(repliedId, cancellationToken);
            if (Refusal(replied, room, author, ownOnly: false) is { } refused)
            {
                metrics.MessageRejected("validation");
                return refused;
            }

            preview = new ReplyPreview(replied!.Id, replied.Seq, replied.User, Excerpt(replied.Content));
        }

        var (held, mentions) = await members.CheckPostAsync(room, author, text, cancellationToken);
        if (held is not null)
        {
            metrics.MessageRejected(held.Outcome switch { ChangeOutcome.NotFound => "not_member", ChangeOutcome.RateLimited => "slow_mode", _ => "muted" });
            return held;
        }

        if (await RateLimitedAsync(author.Id) is { } limited)
        {
            return limited;
        }

        AppendResult appended;
        try
        {
            appended = await log.AppendAsync(room, author, text, clientId, receivedAt, preview, mentions, cancellationToken);
        }
        catch (StorageException)
        {
            metrics.MessageRejected("storage");
            throw;
        }

        if (!appended.Duplicate)
        {
            metrics.MessageAccepted();
        }

        return ChangeResult.Done(appended.Message.Seq, appended.Message, appended.Duplicate);
    }

    /// <summary>Replaces the content of one of the author's messages (validated and rate-limited like a post).</summary>
    public async ValueTask<ChangeResult> EditAsync(Room room, MessageAuthor author, long messageId, string? content, CancellationToken cancellationToken = default)
    {
        var text = MessageContent.Normalize(content ?? "");
        if (ValidateContent(text) is { } errors)
        {
            return ChangeResult.Invalid(errors);
        }

        if (Refusal(await store.GetMessageAsync(messageId, cancellationToken), room, author, ownOnly: true) is { } refused)
        {
            return refused;
        }

        if (await RateLimitedAsync(author.Id) is { } limited)
        {
            return limited;
        }

        return await CommitAsync(new EditMessage(room, author, messageId, text), room, author, messageId, ownOnly: true, cancellationToken)
            ?? ChangeResult.Refused(ChangeOutcome.Refused, ChangedMeanwhileReason);
    }

    /// <summary>
    /// Deletes one of the author's messages, or anyone's when the author moderates the room: its text and reactions are
    /// gone, a tombstone stays.
    /// </summary>
    public async ValueTask<ChangeResult> DeleteAsync(Room room, MessageAuthor author, long messageId, CancellationToken cancellationToken = default)
    {
        // A moderator (a server admin too, member or not) may delete anyone's message.
        var moderates = await members.ModeratesAsync(room, author, cancellationToken);
        var message = await store.GetMessageAsync(messageId, cancellationToken);
        var ownOnly = message is null || message.User.Id == author.Id || !moderates;
        if (Refusal(message, room, author, ownOnly) is { } refused)
        {
            return refused;
        }

        return await CommitAsync(new DeleteMessage(room, author, messageId) { AnyAuthor = !ownOnly }, room, author, messageId, ownOnly, cancellationToken)
            ?? ChangeResult.Refused(ChangeOutcome.Refused, ChangedMeanwhileReason);
    }


    /// <summary>
    /// Adds or removes the author's reaction. Adding one already there, or removing one that is not, is done with no
    /// event (<see cref="ChangeOutcome.Unchanged"/>).
    /// </summary>
    public async ValueTask<ChangeResult> ReactAsync(
        Room room, MessageAuthor author, long messageId, string? emoji, bool add, CancellationToken cancellationToken = default)
    {
        if (emoji is null || !Emoji.IsSingle(emoji))
        {
            return ChangeResult.Refused(ChangeOutcome.Refused, BadEmojiReason);
        }

        var message = await store.GetMessageAsync(messageId, cancellationToken);
        if ((Refusal(message, room, author, ownOnly: false) ?? ReactionRefusal(message!, author, emoji, add)) is { } refused)
        {
            return refused;
        }

        // Applied unless it stopped applying meanwhile (another device of the same user, a 20th emoji, a delete): then why.
        return await CommitAsync(new ChangeReaction(room, author, messageId, emoji, add), room, author, messageId, ownOnly: false, cancellationToken)
            ?? (await store.GetMessageAsync(messageId, cancellationToken) is { } now ? ReactionRefusal(now, author, emoji, add) : null)
            ?? ChangeResult.Unchanged();
    }

    // Adding a reaction already there, or removing one that is not, is done already; a 21st distinct emoji is refused.
    private static ChangeResult? ReactionRefusal(Message message, MessageAuthor author, string emoji, bool add)
    {
        var present = message.Reactions.FirstOrDefault(r => r.Emoji == emoji);
        if ((present is not null && present.UserIds.Contains(author.Id)) == add)
        {
            return ChangeResult.Unchanged();
        }

        return add && present is null && message.Reactions.Count >= ChangeReaction.MaxDistinctEmoji
            ? ChangeResult.Refused(ChangeOutcome.Refused, TooManyReactionsReason)
            : null;
    }

    // The change was checked against what was read; the store applies it only if that still holds. When it did not
    // (changed meanwhile), the message is read again for the reason; null when it still looks fine.
    private async ValueTask<ChangeResult?> CommitAsync(
        RoomChange change, Room room, MessageAuthor author, long messageId, bool ownOnly, CancellationToken cancellationToken)
    {
        if (await log.CommitAsync(change, cancellationToken: cancellationToken) is { } committed)
        {
            return ChangeResult.Done(committed.Payload.Seq, (committed.Payload as MessageUpdated)?.Message, duplicate: false);
        }

        return Refusal(await store.GetMessageAsync(messageId, cancellationToken), room, author, ownOnly);
    }

    private static ChangeResult? Refusal(Message? message, Room room, MessageAuthor author, bool ownOnly) => message switch
    {
        null => ChangeResult.Refused(ChangeOutcome.NotFound, NotFoundReason),
        _ when message.RoomId != room.Id => ChangeResult.Refused(ChangeOutcome.NotFound, OtherRoomReason),
        { Deleted: true } => ChangeResult.Refused(ChangeOutcome.Refused, DeletedReason),
        _ when ownOnly && message.User.Id != author.Id => ChangeResult.Refused(ChangeOutcome.Forbidden, NotYoursReason),
        _ => null,
    };

    private async ValueTask<ChangeResult?> RateLimitedAsync(long userId)
    {
        if (await limiter.TakeAsync(userId, options.RateLimitWindow) is not { } wait)
        {
            return null;
        }

        metrics.MessageRejected("rate_limit");
        return ChangeResult.RateLimited(wait);
    }

    private Dictionary<string, string[]>? ValidateContent(string text) =>
        text.Length == 0 ? new() { ["content"] = ["content can't be blank"] }
        : MessageContent.Length(text) > options.MaxLength ? new() { ["content"] = [$"content must be at most {options.MaxLength} characters"] }
        : null;

    private static string Excerpt(string content)
    {
        var runes = 0;
        var index = 0;
        foreach (var rune in content.EnumerateRunes())
        {
            if (++runes > ReplyPreview.ExcerptLength)
            {
                return content[..index];
            }

            index += rune.Utf16SequenceLength;
        }

        return content;
    }

    public void Dispose() => limiter.Dispose();
}

public enum ChangeOutcome
{
    /// <summary>Committed: an event with <see cref="ChangeResult.Seq"/> was broadcast (or, for a repeated post, had been).</summary>
    Done,

    /// <summary>Nothing to do, and done: a reaction added twice or removed when not there. No event.</summary>
    Unchanged,

    /// <summary>The input is not valid (<see cref="ChangeResult.Errors"/> by field).</summary>
    Invalid,

    RateLimited,

    /// <summary>No such message in the room (HTTP 404).</summary>
    NotFound,

    /// <summary>Someone else's message (HTTP 403).</summary>
    Forbidden,

    /// <summary>Not possible as things are: a deleted message, a bad emoji, too many reactions (HTTP 422).</summary>
    Refused,
}

/// <summary>What became of a change: the committed event's seq (and the message), or why not.</summary>
public sealed class ChangeResult
{
    private ChangeResult(ChangeOutcome outcome) => Outcome = outcome;

    public ChangeOutcome Outcome { get; }

    /// <summary>The seq of the event committed (for a post, the message's seq).</summary>
    public long? Seq { get; private init; }

    /// <summary>A post's message, or an edited message's new state.</summary>
    public Message? Message { get; private init; }

    /// <summary>The message had been stored earlier under the same client_id; nothing new was stored or broadcast.</summary>
    public bool Duplicate { get; private init; }

    public IReadOnlyDictionary<string, string[]>? Errors { get; private init; }

    public TimeSpan RetryAfter { get; private init; }

    /// <summary>Why it was refused, for the client.</summary>
    public string? Reason { get; private init; }

    public static ChangeResult Done(long seq, Message? message, bool duplicate) =>
        new(ChangeOutcome.Done) { Seq = seq, Message = message, Duplicate = duplicate };

    public static ChangeResult Unchanged() => new(ChangeOutcome.Unchanged);

    public static ChangeResult Invalid(IReadOnlyDictionary<string, string[]> errors) => new(ChangeOutcome.Invalid) { Errors = errors };

    /// <summary>Refused for now: try again after <paramref name="retryAfter"/>; <paramref name="reason"/> defaults to <see cref="MessageActions.RateLimitedReason"/>.</summary>
    public static ChangeResult RateLimited(TimeSpan retryAfter, string? reason = null) =>
        new(ChangeOutcome.RateLimited) { RetryAfter = retryAfter, Reason = reason ?? MessageActions.RateLimitedReason };

    public static ChangeResult Refused(ChangeOutcome outcome, string? reason) => new(outcome) { Reason = reason };
}

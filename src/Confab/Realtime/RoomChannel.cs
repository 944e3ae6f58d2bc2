using System.Text.Json;
using Confab.Api;
using Confab.Channels;
using Confab.Messages;
using Confab.Rooms;
using Confab.Storage;
using Confab.Telemetry;
using Microsoft.Extensions.Options;

namespace Confab.Realtime;

/// <summary>
/// The room channel, topic <c>room:&lt;slug&gt;</c> (the contract is in DESIGN.md).
/// <list type="bullet">
/// <item><c>phx_join</c> <c>{}</c> or <c>{"last_seq": 7}</c>: ok <c>{"messages": [...]}</c> (the newest 50, or everything after 7 up to 500,
/// then <c>"has_more": true</c>); error <c>{"reason": "room not found"}</c> or <c>{"reason": "unauthorized"}</c>.</item>
/// <item><c>new_message</c> <c>{"content": "hi", "client_id": "k1"}</c>: ok <c>{"message_id": 42, "seq": 7}</c> once committed, and
/// <c>new_message</c> broadcast to the room; error <c>{"errors": {...}}</c>, or, rate limited,
/// <c>{"reason": "Too many messages. Please slow down.", "retry_after_ms": 4200}</c>.</item>
/// <item><c>typing</c> <c>{}</c>: no reply; the others get <c>user_typing</c> <c>{"user_id": 3, "username": "alice"}</c>.</item>
/// </list>
/// Presence: each joined channel is one meta <c>{"online_at", "username"}</c> under the user's id.
/// When the socket's token expires, the channel pushes <c>token_expired</c> <c>{"reason": "token expired"}</c> and stops
/// (<c>phx_close</c>): nothing more is sent or received on it until the client reconnects with a fresh token.
/// </summary>
public sealed class RoomChannel(
    RoomDirectory rooms, ChatStore store, MessagePoster poster, TypingThrottle typing, TimeProvider time, IOptions<RealtimeOptions> options,
    ConfabMetrics metrics)
    : Channel, IDisposable
{
    public const string TopicPrefix = "room:";
    public const string RateLimitedReason = "Too many messages. Please slow down.";
    public const string TokenExpiredReason = "token expired";
    private static readonly TimeSpan MaxTimer = TimeSpan.FromDays(30);

    private Room? room;
    private SocketUser? user;
    private ITimer? expiry;
    private long repliedThroughSeq;
    private volatile bool caughtUp;

    public override async ValueTask<JoinResult> JoinAsync(JsonElement payload, CancellationToken cancellationToken)
    {
        using var activity = ConfabMetrics.ActivitySource.StartActivity("room.join");
        activity?.SetTag("messaging.destination.name", Context.Topic);
        if (!IsAuthorized(out var socketUser))
        {
            return Refuse("unauthorized", "unauthorized");
        }

        activity?.SetTag("confab.user.id", socketUser.Id);
        // Who may see which room is decided in one place: RoomDirectory.MaySee.
        if (await rooms.GetForAsync(socketUser.Id, Context.Topic[TopicPrefix.Length..], cancellationToken) is not { } found)
        {
            return Refuse("room_not_found", "room not found");
        }

        activity?.SetTag("confab.room.id", found.Id);
        long? lastSeq = null;
        if (payload.ValueKind == JsonValueKind.Object && payload.TryGetProperty("last_seq", out var given) && given.ValueKind != JsonValueKind.Null)
        {
            if (given.ValueKind != JsonValueKind.Number || !given.TryGetInt64(out var seq) || seq < 0)
            {
                return Refuse("invalid", "last_seq must be a non-negative integer");
            }

            lastSeq = seq;
        }

        var history = lastSeq is { } after
            ? await store.ListMessagesAfterAsync(found.Id, after, beforeSeq: null, options.Value.JoinBacklog, cancellationToken)
            : await store.ListMessagesBeforeAsync(found.Id, beforeSeq: null, options.Value.JoinHistory, cancellationToken);

        room = found;
        user = socketUser;
        repliedThroughSeq = Math.Max(lastSeq ?? 0, history.Messages.Count > 0 ? history.Messages[^1].Seq : 0); // oldest first
        metrics.Joined("ok");
        var hasMore = lastSeq is not null && history.HasMore ? true : (bool?)null;
        return JoinResult.Ok(JsonPayload.Serialize(new JoinReply(history.Messages, hasMore), ConfabJsonContext.Default.JoinReply));
    }

    // A message committed while the join read its history is in the reply, and its broadcast may come after it (held
    // during the join, or published a moment after the commit): sent once. The room publishes in seq order, so once a
    // newer message came, every later one is newer too and nothing more is read.
    public override bool ShouldDeliver(Broadcast broadcast)
    {
        if (caughtUp || broadcast.Event != RoomBroadcasts.NewMessageEvent)
        {
            return true;
        }

        if (RoomBroadcasts.Read(broadcast, ConfabJsonContext.Default.Message) is { } message && message.Seq <= repliedThroughSeq)
        {
            return false;
        }

        caughtUp = true;
        return true;
    }

    public override ValueTask AfterJoinAsync(CancellationToken cancellationToken)
    {
        var meta = new PresenceMeta(time.GetUtcNow().ToUnixTimeSeconds(), user!.Username);
        Context.TrackPresence(Key(user.Id), JsonPayload.Serialize(meta, ConfabJsonContext.Default.PresenceMeta));
        Context.PushPresenceState();
        expiry = time.CreateTimer(static state => ((RoomChannel)state!).Expire(), this, UntilExpiry(), Timeout.InfiniteTimeSpan);
        return ValueTask.CompletedTask;
    }

    public void Dispose() => expiry?.Dispose();

    // Timers reach about 49 days: a longer-lived token is waited for in steps.
    private TimeSpan UntilExpiry()
    {
        var left = user!.TokenExpiresAt - time.GetUtcNow();
        return left <= TimeSpan.Zero ? TimeSpan.Zero : left > MaxTimer ? MaxTimer : left;
    }

    private void Expire()
    {
        if (UntilExpiry() > TimeSpan.Zero)
        {
            expiry?.Change(UntilExpiry(), Timeout.InfiniteTimeSpan);
            return;
        }

        Context.Push("token_expired", Reason(TokenExpiredReason));
        Context.Stop();
    }

    public override ValueTask<Reply?> HandleInAsync(string @event, JsonElement payload, CancellationToken cancellationToken) =>
        @event switch
        {
            "new_message" => PostAsync(payload, cancellationToken),
            "typing" => Typing(),
            _ => ValueTask.FromResult<Reply?>(Reply.Error(Reason($"unknown event '{Truncate(@event)}'"))),
        };

    private async ValueTask<Reply?> PostAsync(JsonElement payload, CancellationToken cancellationToken)
    {
        using var activity = ConfabMetrics.ActivitySource.StartActivity("room.new_message");
        activity?.SetTag("confab.room.id", room!.Id);
        activity?.SetTag("confab.user.id", user!.Id);
        if (!IsAuthorized(out _))
        {
            metrics.MessageRejected("unauthorized");
            return Reply.Error(Reason(TokenExpiredReason)); // the expiry timer is about to stop the channel
        }

        var errors = new Dictionary<string, string[]>();
        var content = OptionalString(payload, "content", errors);
        var clientId = OptionalString(payload, "client_id", errors);
        if (errors.Count > 0)
        {
            metrics.MessageRejected("validation");
            return Reply.Error(JsonPayload.Serialize(new FieldErrorsReply(errors), ConfabJsonContext.Default.FieldErrorsReply));
        }

        PostResult result;
        try
        {
            result = await poster.PostAsync(room!, new MessageAuthor(user!.Id, user.Username), content, clientId, cancellationToken);
        }
        catch (StorageException)
        {
            // Not committed, so not acknowledged: the client may retry (with its client_id, safely).
            return Reply.Error(Reason("the message could not be saved; please retry"));
        }

        return result.Outcome switch
        {
            PostOutcome.Posted => Reply.Ok(JsonPayload.Serialize(new MessageAck(result.Message!.Id, result.Message.Seq), ConfabJsonContext.Default.MessageAck)),
            PostOutcome.RateLimited => Reply.Error(JsonPayload.Serialize(
                new RateLimitedReply(RateLimitedReason, (long)Math.Ceiling(result.RetryAfter.TotalMilliseconds)), ConfabJsonContext.Default.RateLimitedReply)),
            _ => Reply.Error(JsonPayload.Serialize(new FieldErrorsReply(result.Errors!), ConfabJsonContext.Default.FieldErrorsReply)),
        };
    }

    private ValueTask<Reply?> Typing()
    {
        if (typing.TryPass(user!.Id, room!.Id))
        {
            var notice = new UserTyping(user.Id, user.Username);
            return Ignore(Context.BroadcastFromAsync(RoomBroadcasts.TypingEvent, RoomBroadcasts.TypingPayload(notice), notice, droppable: true));
        }

        return ValueTask.FromResult<Reply?>(null);
    }

    private static async ValueTask<Reply?> Ignore(ValueTask broadcast)
    {
        await broadcast;
        return null;
    }

    /// <summary>The socket's user, while their token is valid.</summary>
    private bool IsAuthorized([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SocketUser? socketUser)
    {
        socketUser = Context.Socket.Assigns as SocketUser;
        return socketUser is not null && socketUser.TokenExpiresAt > time.GetUtcNow();
    }

    private JoinResult Refuse(string outcome, string reason)
    {
        metrics.Joined(outcome);
        return JoinResult.Error(Reason(reason));
    }

    private static string? OptionalString(JsonElement payload, string name, Dictionary<string, string[]> errors)
    {
        if (payload.ValueKind != JsonValueKind.Object || !payload.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            errors[name] = [$"{name} must be a string"];
            return null;
        }

        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            // An escape that is no text, such as a lone surrogate ("\ud800").
            errors[name] = [$"{name} must be valid Unicode text"];
            return null;
        }
    }

    private static string Key(long userId) => userId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Truncate(string text) => text.Length <= 40 ? text : text[..40];

    private static JsonPayload Reason(string reason) => JsonPayload.Serialize(new ReasonReply(reason), ConfabJsonContext.Default.ReasonReply);
}

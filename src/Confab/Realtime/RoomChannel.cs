using System.Text.Json;
using Confab.Api;
using Confab.Channels;
using Confab.Messages;
using Confab.Rooms;
using Confab.Storage;
using Confab.Telemetry;
using Confab.Web.Chat;
using Microsoft.Extensions.Options;

namespace Confab.Realtime;

/// <summary>
/// The room channel, topic <c>room:&lt;slug&gt;</c> (the contract is in docs/protocol.md).
/// <list type="bullet">
/// <item><c>phx_join</c> <c>{}</c> or <c>{"last_seq": 7}</c>: ok <c>{"messages": [...], "last_seq": 12}</c> (the newest 50; or, after
/// 7, the messages and <c>"events": [...]</c>, every event after 7 up to 500, then <c>"has_more": true</c>); error
/// <c>{"reason": "room not found"}</c> or <c>{"reason": "unauthorized"}</c>.</item>
/// <item><c>new_message</c> <c>{"content": "hi", "client_id": "k1", "reply_to": 41}</c>: ok <c>{"message_id": 42, "seq": 7}</c> once
/// committed, and <c>new_message</c> broadcast to the room; error <c>{"errors": {...}}</c>, <c>{"reason": ...}</c>, or, rate limited,
/// <c>{"reason": "Too many messages. Please slow down.", "retry_after_ms": 4200}</c>.</item>
/// <item><c>edit_message</c> <c>{"message_id", "content"}</c>, <c>delete_message</c> <c>{"message_id"}</c>, <c>add_reaction</c> /
/// <c>remove_reaction</c> <c>{"message_id", "emoji"}</c>: ok <c>{"seq": 9}</c> (<c>{}</c> when nothing changed) and the event
/// broadcast; error <c>{"reason": ...}</c>.</item>
/// <item><c>typing</c> <c>{}</c>: no reply; the others get <c>user_typing</c> <c>{"user_id": 3, "username": "alice"}</c>.</item>
/// </list>
/// Presence: each joined channel is one meta <c>{"online_at", "username"}</c> under the user's id.
/// When the socket's token expires, the channel stops (<see cref="UserBoundChannel"/>): nothing more is sent or received
/// on it until the client reconnects with a fresh token.
/// </summary>
public sealed class RoomChannel(
    RoomDirectory rooms, RoomMembers members, MemberActions memberActions, ReadState reads, MessageActions actions, RoomActivity roomActivity,
    RoomEventStream stream, TimeProvider time, IOptions<RealtimeOptions> options, ConfabMetrics metrics)
    : UserBoundChannel(time)
{
    public const string NotSavedReason = RoomEvents.NotSavedReason;

    private Room? room;
    private SocketUser? user;
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
        if (await rooms.GetForAsync(socketUser.Id, Context.Topic[RoomActivity.TopicPrefix.Length..], cancellationToken) is not { } found)
        {
            return Refuse("room_not_found", "room not found");
        }

        activity?.SetTag("confab.room.id", found.Id);
        // Joining a public room makes one a member (member_added); a private room's members only, checked on every join.
        if ((await memberActions.JoinAsync(found, new MessageAuthor(socketUser.Id, socketUser.Username), cancellationToken)).Outcome == ChangeOutcome.NotFound)
        {
            return Refuse("room_not_found", "room not found");
        }

        long? lastSeq = null;
        if (payload.ValueKind == JsonValueKind.Object && payload.TryGetProperty("last_seq", out var given) && given.ValueKind != JsonValueKind.Null)
        {
            if (given.ValueKind != JsonValueKind.Number || !given.TryGetInt64(out var seq) || seq < 0)
            {
                return Refuse("invalid", "last_seq must be a non-negative integer");
            }

            lastSeq = seq;
        }

        // The history, the events and the newest seq are read at one instant, so the reply covers exactly the events up to
        // its last_seq (or up to the backlog's last, when cut).
        var snapshot = await stream.ReadRoomAsync(found, lastSeq, options.Value.JoinHistory, options.Value.JoinBacklog, cancellationToken);
        room = found;
        user = socketUser;
        repliedThroughSeq = snapshot.Events is { HasMore: true } cut ? Math.Max(lastSeq ?? 0, cut.Events[^1].Payload.Seq) : snapshot.LastSeq;
        metrics.Joined("ok");
        var hasMore = snapshot.Events is { HasMore: true } || (lastSeq is not null && snapshot.Messages.HasMore) ? true : (bool?)null;
        return JoinResult.Ok(JsonPayload.Serialize(
            new JoinReply(snapshot.Messages.Messages, snapshot.LastSeq, snapshot.Events?.Events, hasMore), ConfabJsonContext.Default.JoinReply));
    }

    // An event committed while the join read the room is in the reply, and its broadcast may come after it (held during the
    // join, or published a moment after the commit): sent once. The room publishes in seq order, so once a newer event
    // came, every later one is newer too and nothing more is read.
    public override bool ShouldDeliver(Broadcast broadcast)
    {
        if (broadcast.Event == RoomEventNames.MemberRemoved && RoomActivity.ReadEvent(broadcast) is MemberChanged gone && gone.User.Id == user?.Id)
        {
            // Removed (or banned): the client gets member_removed, then phx_close, and the channel ends at once.
            Context.Stop();
            return true;
        }

        if (caughtUp)
        {
            return true;
        }

        if (RoomActivity.ReadEvent(broadcast) is not { } roomEvent)
        {
            return true; // typing, presence
        }

        if (roomEvent.Seq <= repliedThroughSeq)
        {
            return false;
        }

        caughtUp = true;
        return true;
    }

    public override ValueTask AfterJoinAsync(CancellationToken cancellationToken)
    {
        Context.TrackPresence(RoomActivity.PresenceKey(user!.Id), roomActivity.PresenceMeta(Author));
        Context.PushPresenceState();
        WatchExpiry();
        return ValueTask.CompletedTask;
    }

    public override async ValueTask<Reply?> HandleInAsync(string @event, JsonElement payload, CancellationToken cancellationToken)
    {
        // Membership is checked on every push: removal also ends the channel, but a push may already be on its way.
        if (await members.FindAsync(room!.Id, user!.Id, cancellationToken) is null)
        {
            return Reply.Error(Reason("room not found"));
        }

        return await HandleMemberAsync(@event, payload, cancellationToken);
    }

    private ValueTask<Reply?> HandleMemberAsync(string @event, JsonElement payload, CancellationToken cancellationToken) =>
        @event switch
        {
            "new_message" => PostAsync(payload, cancellationToken),
            "edit_message" => ChangeAsync(payload, content: true, emoji: false, (m, p) => actions.EditAsync(room!, Author, m, p.Content, cancellationToken)),
            "delete_message" => ChangeAsync(payload, content: false, emoji: false, (m, _) => actions.DeleteAsync(room!, Author, m, cancellationToken)),
            "add_reaction" => ChangeAsync(payload, content: false, emoji: true, (m, p) => actions.ReactAsync(room!, Author, m, p.Emoji, add: true, cancellationToken)),
            "remove_reaction" => ChangeAsync(payload, content: false, emoji: true, (m, p) => actions.ReactAsync(room!, Author, m, p.Emoji, add: false, cancellationToken)),
            "typing" => Typing(),
            "mark_read" => MarkReadAsync(payload, cancellationToken),
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
        var replyTo = OptionalId(payload, "reply_to", errors);
        if (errors.Count > 0)
        {
            metrics.MessageRejected("validation");
            return Reply.Error(JsonPayload.Serialize(new FieldErrorsReply(errors), ConfabJsonContext.Default.FieldErrorsReply));
        }

        ChangeResult result;
        try
        {
            result = await actions.PostAsync(room!, Author, content, clientId, replyTo, cancellationToken);
        }
        catch (StorageException)
        {
            // Not committed, so not acknowledged: the client may retry (with its client_id, safely).
            return Reply.Error(Reason(NotSavedReason));
        }

        return result.Outcome == ChangeOutcome.Done
            ? Reply.Ok(JsonPayload.Serialize(new MessageAck(result.Message!.Id, result.Message.Seq), ConfabJsonContext.Default.MessageAck))
            : Refusal(result);
    }

    private MessageAuthor Author => new(user!.Id, user.Username);

    /// <summary><c>mark_read</c> <c>{"seq": 42}</c>: ok <c>{"room", "last_read_seq", "unread_count", "mention_count"}</c>, and the user's devices get <c>read_marker</c>.</summary>
    private async ValueTask<Reply?> MarkReadAsync(JsonElement payload, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (OptionalId(payload, "seq", errors) is not { } seq)
        {
            errors.TryAdd("seq", ["seq must be a positive integer"]);
            return Reply.Error(JsonPayload.Serialize(new FieldErrorsReply(errors), ConfabJsonContext.Default.FieldErrorsReply));
        }

        try
        {
            return await reads.MarkReadAsync(room!, Author, seq, cancellationToken) is { } counts
                ? Reply.Ok(JsonPayload.Serialize(
                    new ReadMarkerNotice(room!.Slug, counts.LastReadSeq, counts.UnreadCount, counts.MentionCount), ConfabJsonContext.Default.ReadMarkerNotice))
                : Reply.Error(Reason("room not found"));
        }
        catch (StorageException)
        {
            return Reply.Error(Reason(NotSavedReason));
        }
    }

    /// <summary>An edit, delete or reaction: <c>{"message_id": 42, ...}</c>, answered ok <c>{"seq": 9}</c> once committed.</summary>
    private async ValueTask<Reply?> ChangeAsync(
        JsonElement payload, bool content, bool emoji, Func<long, (string? Content, string? Emoji), ValueTask<ChangeResult>> change)
    {
        if (!IsAuthorized(out _))
        {
            return Reply.Error(Reason(TokenExpiredReason));
        }

        var errors = new Dictionary<string, string[]>();
        var messageId = OptionalId(payload, "message_id", errors);
        var text = content ? OptionalString(payload, "content", errors) : null;
        var symbol = emoji ? OptionalString(payload, "emoji", errors) : null;
        if (messageId is null && !errors.ContainsKey("message_id"))
        {
            errors["message_id"] = ["message_id is required"];
        }

        if (errors.Count > 0)
        {
            return Reply.Error(JsonPayload.Serialize(new FieldErrorsReply(errors), ConfabJsonContext.Default.FieldErrorsReply));
        }

        ChangeResult result;
        try
        {
            result = await change(messageId!.Value, (text, symbol));
        }
        catch (StorageException)
        {
            return Reply.Error(Reason(NotSavedReason));
        }

        return result.Outcome switch
        {
            ChangeOutcome.Done => Reply.Ok(JsonPayload.Serialize(new SeqReply(result.Seq), ConfabJsonContext.Default.SeqReply)),
            ChangeOutcome.Unchanged => Reply.Ok(JsonPayload.Serialize(new SeqReply(null), ConfabJsonContext.Default.SeqReply)),
            _ => Refusal(result),
        };
    }

    private static Reply Refusal(ChangeResult result) => result.Outcome switch
    {
        ChangeOutcome.RateLimited => Reply.Error(JsonPayload.Serialize(
            new RateLimitedReply(result.Reason!, (long)Math.Ceiling(result.RetryAfter.TotalMilliseconds)), ConfabJsonContext.Default.RateLimitedReply)),
        ChangeOutcome.Invalid => Reply.Error(JsonPayload.Serialize(new FieldErrorsReply(result.Errors!), ConfabJsonContext.Default.FieldErrorsReply)),
        _ => Reply.Error(Reason(result.Reason ?? "refused")),
    };

    private ValueTask<Reply?> Typing()
    {
        // The others of the room; the sender's own sockets skip it (the page of the same user shows no "you are typing").
        return roomActivity.Typing(room!, Author) is { } notice
            ? Ignore(Context.BroadcastFromAsync(RoomActivity.TypingEvent, RoomActivity.TypingPayload(notice), notice, droppable: true))
            : ValueTask.FromResult<Reply?>(null);
    }

    private static async ValueTask<Reply?> Ignore(ValueTask broadcast)
    {
        await broadcast;
        return null;
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

    private static long? OptionalId(JsonElement payload, string name, Dictionary<string, string[]> errors)
    {
        if (payload.ValueKind != JsonValueKind.Object || !payload.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var id) && id > 0)
        {
            return id;
        }

        errors[name] = [$"{name} must be a positive integer"];
        return null;
    }

    private static string Truncate(string text) => text.Length <= 40 ? text : text[..40];
}

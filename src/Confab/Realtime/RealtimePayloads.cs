using System.Text.Json.Serialization;
using Confab.Messages;

namespace Confab.Realtime;

/// <summary>
/// <c>{"messages": [...], "last_seq": 12}</c>, and with <c>last_seq</c> given, <c>"events": [...]</c> and, when the backlog
/// was cut, <c>"has_more": true</c>.
/// </summary>
public sealed record JoinReply(
    IReadOnlyList<Message> Messages,
    long LastSeq,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<RoomEventEntry>? Events,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? HasMore);

/// <summary>The reply to an edit, delete or reaction: <c>{"seq": 9}</c>, or <c>{}</c> when nothing changed (no event).</summary>
public sealed record SeqReply([property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Seq);

/// <summary>The reply to <c>new_message</c>: <c>{"message_id": 42, "seq": 7}</c>.</summary>
public sealed record MessageAck(long MessageId, long Seq);

/// <summary><c>{"reason": "room not found"}</c>.</summary>
public sealed record ReasonReply(string Reason);

/// <summary><c>{"reason": "Too many messages. Please slow down.", "retry_after_ms": 4200}</c>.</summary>
public sealed record RateLimitedReply(string Reason, long RetryAfterMs);

/// <summary><c>{"errors": {"content": ["content can't be blank"]}}</c>.</summary>
public sealed record FieldErrorsReply(IReadOnlyDictionary<string, string[]> Errors);

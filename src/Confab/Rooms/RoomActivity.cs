using Confab.Web.Chat;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Confab.Api;
using Confab.Channels;
using Confab.Messages;
using Microsoft.Extensions.Options;

namespace Confab.Rooms;

/// <summary>Who types and who is present in rooms. Bound from <c>Confab:Realtime</c>.</summary>
public sealed class RoomActivityOptions
{
    /// <summary>At most one <c>user_typing</c> per user per room per this interval is forwarded. Default 1 s.</summary>
    public TimeSpan TypingInterval { get; set; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// A room's live side, the same for every transport: the topic its events and activity go out on (<c>room:&lt;slug&gt;</c>),
/// the presence each connection shows (one meta <c>{"online_at", "username"}</c> under the user's id), who is typing
/// (throttled per user and room), and reading what was broadcast there.
/// </summary>
public sealed class RoomActivity(TypingThrottle typing, TimeProvider time)
{
    public const string TopicPrefix = RoomEvents.TopicPrefix;
    public const string TypingEvent = RoomEvents.TypingEvent;

    public static string Topic(string slug) => TopicPrefix + slug;

    /// <summary>The presence key of a user: their id.</summary>
    public static string PresenceKey(long userId) => userId.ToString(CultureInfo.InvariantCulture);

    /// <summary>The presence meta of one connection of <paramref name="user"/>, online from now.</summary>
    public JsonPayload PresenceMeta(MessageAuthor user) =>
        JsonPayload.Serialize(new PresenceMeta(time.GetUtcNow().ToUnixTimeSeconds(), user.Username), ConfabJsonContext.Default.PresenceMeta);

    /// <summary>The notice to send that <paramref name="user"/> is typing, or null when one went out for them within the interval.</summary>
    public UserTyping? Typing(Room room, MessageAuthor user) => typing.TryPass(user.Id, room.Id) ? new UserTyping(user.Id, user.Username) : null;

    public static JsonPayload TypingPayload(UserTyping notice) => JsonPayload.Serialize(notice, ConfabJsonContext.Default.UserTyping);

    /// <summary>A broadcast's value: the object itself when it was published in this process, else decoded from its JSON.</summary>
    public static T? Read<T>(Broadcast broadcast, JsonTypeInfo<T> type) where T : class =>
        broadcast.Value as T ?? JsonSerializer.Deserialize(broadcast.Payload.Utf8.Span, type);

    /// <summary>A room event's payload (the object itself when published in this process); null for typing and presence.</summary>
    public static IRoomEvent? ReadEvent(Broadcast broadcast) =>
        broadcast.Value as IRoomEvent ?? Web.Chat.RoomEvents.Read(broadcast.Event, broadcast.Payload.Utf8.Span);
}

/// <summary><c>{"user_id": 3, "username": "alice"}</c>.</summary>
public sealed record UserTyping(long UserId, string Username);

/// <summary>A presence meta before the tracker adds <c>phx_ref</c>: <c>{"online_at": 1764324000, "username": "alice"}</c>.</summary>
public sealed record PresenceMeta(long OnlineAt, string Username);

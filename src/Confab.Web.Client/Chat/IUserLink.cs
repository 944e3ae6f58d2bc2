using System.Text.Json;
using System.Text.Json.Serialization;
using Confab.Messages;
using Confab.Rooms;

namespace Confab.Web.Chat;

/// <summary>
/// The sidebar's way to what concerns its user across rooms: the rooms they belong to, what reaches them on their user
/// channel (<c>user:&lt;id&gt;</c>, docs/protocol.md), people to talk to. Like <see cref="IRoomLink"/>, one sidebar runs on
/// either side of it: on the server (the core in process) or in the browser (the user channel on the Phoenix socket).
/// </summary>
public interface IUserLink : IAsyncDisposable
{
    /// <summary>The rooms the user may see, with their counts (<c>GET /api/rooms</c>).</summary>
    Task<IReadOnlyList<RoomListing>> ListRoomsAsync();

    /// <summary>Active users whose username starts with <paramref name="prefix"/>.</summary>
    Task<IReadOnlyList<MessageAuthor>> FindUsersAsync(string prefix);

    /// <summary>The direct room with <paramref name="username"/> (opened if need be): its slug, or a refusal.</summary>
    Task<(string? Slug, string? Error)> OpenDirectAsync(string username);

    /// <summary>Hands each notice to <paramref name="deliver"/>, one at a time, from now on.</summary>
    Task StartAsync(Func<UserNotice, Task> deliver);
}

/// <summary>Opens the sidebar's link, on the side the sidebar runs on.</summary>
public interface IUserLinks
{
    /// <summary><paramref name="socketToken"/>: the user's token for the Phoenix socket, when the sidebar runs in the browser.</summary>
    IUserLink Open(MessageAuthor me, string? socketToken);
}

/// <summary>
/// One event of the user channel: <c>room_activity</c>, <c>read_marker</c>, <c>mention</c>, <c>room_added</c>,
/// <c>room_removed</c>, <c>account_deactivated</c>; or <see cref="Resync"/>, when notices may have been missed (a
/// reconnect): the counts must be read again.
/// </summary>
public sealed record UserNotice(
    string? Room = null, long? Seq = null, int? UnreadCount = null, int? MentionCount = null, long? LastReadSeq = null, Message? Message = null)
{
    public const string RoomActivity = "room_activity";
    public const string ReadMarker = "read_marker";
    public const string Mention = "mention";
    public const string RoomAdded = "room_added";
    public const string RoomRemoved = "room_removed";
    public const string AccountDeactivated = "account_deactivated";
    public const string Resync = "resync";

    [JsonIgnore]
    public string Event { get; init; } = "";

    public static readonly IReadOnlyList<string> Names = [RoomActivity, ReadMarker, Mention, RoomAdded, RoomRemoved, AccountDeactivated];

    public static UserNotice Resynced { get; } = new() { Event = Resync };

    /// <summary>A notice from its event's name and payload.</summary>
    public static UserNotice Read(string @event, ReadOnlySpan<byte> json) =>
        (JsonSerializer.Deserialize(json, RoomJson.Default.UserNotice) ?? new UserNotice()) with { Event = @event };

    /// <summary>A notice from its event's name and payload.</summary>
    public static UserNotice Read(string @event, JsonElement payload) =>
        (payload.Deserialize(RoomJson.Default.UserNotice) ?? new UserNotice()) with { Event = @event };
}

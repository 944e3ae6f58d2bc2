using System.Text.Json;
using System.Text.Json.Serialization;
using Confab.Accounts;
using Confab.Messages;
using Confab.Realtime;
using Confab.Rooms;

namespace Confab.Api;

/// <summary>Every JSON shape Confab reads or writes, source-generated, in snake_case (<c>inserted_at</c>, <c>client_id</c>).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, Converters = [typeof(RoomEventEntryConverter)])]
[JsonSerializable(typeof(TokenPayload))]
[JsonSerializable(typeof(Readiness))]
[JsonSerializable(typeof(RegisterRequest))]
[JsonSerializable(typeof(CredentialsRequest))]
[JsonSerializable(typeof(UserResponse))]
[JsonSerializable(typeof(TokenResponse))]
[JsonSerializable(typeof(CreateRoomRequest))]
[JsonSerializable(typeof(Room))]
[JsonSerializable(typeof(IReadOnlyList<Room>))]
[JsonSerializable(typeof(RoomListing))]
[JsonSerializable(typeof(UserSearchResponse))]
[JsonSerializable(typeof(IReadOnlyList<RoomListing>))]
[JsonSerializable(typeof(RoomMember))]
[JsonSerializable(typeof(IReadOnlyList<RoomMember>))]
[JsonSerializable(typeof(UpdateRoomRequest))]
[JsonSerializable(typeof(AddMemberRequest))]
[JsonSerializable(typeof(SetRoleRequest))]
[JsonSerializable(typeof(MuteRequest))]
[JsonSerializable(typeof(BanRequest))]
[JsonSerializable(typeof(DirectRequest))]
[JsonSerializable(typeof(MarkReadRequest))]
[JsonSerializable(typeof(RoomActivityNotice))]
[JsonSerializable(typeof(ReadMarkerNotice))]
[JsonSerializable(typeof(MentionNotice))]
[JsonSerializable(typeof(RoomNoticePayload))]
[JsonSerializable(typeof(PostMessageRequest))]
[JsonSerializable(typeof(Message))]
[JsonSerializable(typeof(MessagePage))]
[JsonSerializable(typeof(MessageUpdated))]
[JsonSerializable(typeof(MessageDeleted))]
[JsonSerializable(typeof(ReactionChanged))]
[JsonSerializable(typeof(MemberChanged))]
[JsonSerializable(typeof(RoomUpdated))]
[JsonSerializable(typeof(RoomEventEntry))]
[JsonSerializable(typeof(RoomEventPage))]
[JsonSerializable(typeof(EditMessageRequest))]
[JsonSerializable(typeof(SeqReply))]
[JsonSerializable(typeof(JoinReply))]
[JsonSerializable(typeof(MessageAck))]
[JsonSerializable(typeof(UserTyping))]
[JsonSerializable(typeof(PresenceMeta))]
[JsonSerializable(typeof(ReasonReply))]
[JsonSerializable(typeof(RateLimitedReply))]
[JsonSerializable(typeof(FieldErrorsReply))]
public sealed partial class ConfabJsonContext : JsonSerializerContext;

public sealed record RegisterRequest(string? Username, string? Email, string? Password);

/// <summary><c>username</c> may also be the account's email.</summary>
public sealed record CredentialsRequest(string? Username, string? Password);

public sealed record UserResponse(long Id, string Username, string Email, DateTime InsertedAt)
{
    public static UserResponse From(User user) => new(user.Id, user.Username, user.Email, user.InsertedAt);
}

public sealed record UserSearchResponse(IReadOnlyList<MessageAuthor> Users);

public sealed record TokenResponse(string Token, DateTimeOffset ExpiresAt, UserResponse User);

public sealed record CreateRoomRequest(string? Name, string? Description, string? Visibility = null);

public sealed record PostMessageRequest(string? Content, string? ClientId, long? ReplyTo = null);

public sealed record EditMessageRequest(string? Content);

/// <summary><c>/readyz</c>: the node's status (the worst of its checks), its id, and each check.</summary>
public sealed record Readiness(string Status, string Node, IReadOnlyDictionary<string, ReadinessCheck> Checks);

/// <summary>One check of <c>/readyz</c>: Healthy, Degraded (answering, and saying what is wrong) or Unhealthy.</summary>
public sealed record ReadinessCheck(
    string Status, [property: System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Description);

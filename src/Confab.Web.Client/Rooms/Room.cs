using System.Text.Json.Serialization;

namespace Confab.Rooms;

/// <summary>A chat room, addressed by its <see cref="Slug"/> (<c>/rooms/general</c>, topic <c>room:general</c>).</summary>
public sealed record Room(long Id, string Name, string Description, string Slug, DateTime InsertedAt)
{
    /// <summary><see cref="RoomVisibility.Public"/>, <see cref="RoomVisibility.Private"/> or <see cref="RoomVisibility.Direct"/>.</summary>
    public string Visibility { get; init; } = RoomVisibility.Public;

    [JsonIgnore]
    public bool IsPublic => Visibility == RoomVisibility.Public;

    [JsonIgnore]
    public bool IsDirect => Visibility == RoomVisibility.Direct;
}

/// <summary>Who may see a room: anyone signed in (public), its members (private), its two people (direct).</summary>
public static class RoomVisibility
{
    public const string Public = "public";
    public const string Private = "private";
    public const string Direct = "direct";

    /// <summary>What goes before a room's name: <c>#</c>, a lock for a private room, <c>@</c> for a direct one.</summary>
    public static string Symbol(string visibility) => visibility switch
    {
        Direct => "@",
        Private => "🔒",
        _ => "#",
    };
}

/// <summary>A member's role in a room, from the most to the least it may do.</summary>
public static class RoomRole
{
    public const string Owner = "owner";
    public const string Admin = "admin";
    public const string Member = "member";

    public static bool IsValid(string? role) => role is Owner or Admin or Member;

    /// <summary>Owners and admins moderate: delete anyone's message, add and remove members, mute, ban, set slow mode.</summary>
    public static bool Moderates(string? role) => role is Owner or Admin;

    /// <summary>2 for owners, 1 for admins, 0 for members (-1 for none).</summary>
    public static int Rank(string? role) => role switch { Owner => 2, Admin => 1, Member => 0, _ => -1 };
}

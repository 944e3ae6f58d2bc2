using Confab.Rooms;

namespace Confab.Messages;

/// <summary>
/// A change to a room, queued to <see cref="MessageLog"/> and committed with the room's next <c>seq</c>. The store
/// applies each one only if it still may be (the message exists in the room, is not deleted, is the actor's own...), so
/// a check made before queueing cannot be raced past.
/// </summary>
public abstract record RoomChange(Room Room, MessageAuthor Actor);

/// <summary>Posts a message; a repeated <see cref="ClientId"/> of the actor's stores nothing.</summary>
public sealed record PostMessage(Room Room, MessageAuthor Actor, string Content, string? ClientId, ReplyPreview? ReplyTo) : RoomChange(Room, Actor)
{
    /// <summary>The members it mentions (<see cref="Messages.Mentions"/>), by id.</summary>
    public IReadOnlyList<long> Mentions { get; init; } = [];
}

/// <summary>Replaces the content of one of the actor's messages.</summary>
public sealed record EditMessage(Room Room, MessageAuthor Actor, long MessageId, string Content) : RoomChange(Room, Actor);

/// <summary>
/// Deletes one of the actor's messages (or, <see cref="AnyAuthor"/>, anyone's: a moderator's delete): its text and
/// reactions are removed, a tombstone stays.
/// </summary>
public sealed record DeleteMessage(Room Room, MessageAuthor Actor, long MessageId) : RoomChange(Room, Actor)
{
    public bool AnyAuthor { get; init; }
}

/// <summary>Adds or removes the actor's reaction to a message; adding what is there, or removing what is not, changes nothing.</summary>
public sealed record ChangeReaction(Room Room, MessageAuthor Actor, long MessageId, string Emoji, bool Add) : RoomChange(Room, Actor)
{
    /// <summary>Distinct emoji one message may carry.</summary>
    public const int MaxDistinctEmoji = 20;
}

/// <summary>Makes <see cref="Member"/> a member of the room in <see cref="Role"/> (nothing when they are one, or banned).</summary>
public sealed record AddMember(Room Room, MessageAuthor Actor, MessageAuthor Member, string Role) : RoomChange(Room, Actor);

/// <summary>Gives a member another role (nothing when it is theirs already, or they are no member).</summary>
public sealed record SetMemberRole(Room Room, MessageAuthor Actor, MessageAuthor Member, string Role) : RoomChange(Room, Actor);

/// <summary>Removes a member (they left, or were removed); <see cref="Ban"/> also keeps them from joining again.</summary>
public sealed record RemoveMember(Room Room, MessageAuthor Actor, MessageAuthor Member, bool Ban) : RoomChange(Room, Actor);

/// <summary>Sets the room's slow mode (0: off); nothing when it is that already.</summary>
public sealed record SetSlowMode(Room Room, MessageAuthor Actor, int Seconds) : RoomChange(Room, Actor);

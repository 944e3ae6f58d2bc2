using Confab.Messages;
using Confab.Rooms;

namespace Confab.Web.Chat;

/// <summary>
/// The room page's way to its room: history, live updates, and the reader's posts and changes. One page
/// (<see cref="RoomView"/>) runs on either side of it: on the server (Blazor Server, the core in process) or in the
/// browser (WebAssembly, over the Phoenix socket every client uses, <see cref="SocketRoomLink"/>).
/// </summary>
public interface IRoomLink : IRoomHistorySource, IAsyncDisposable
{
    /// <summary>
    /// Starts live updates from after the room event <paramref name="afterSeq"/> (the newest the page has): each is handed to
    /// <paramref name="deliver"/>, one at a time, which applies it on the page's own context (the update is the link's
    /// again once that is done).
    /// </summary>
    Task StartAsync(long afterSeq, Func<RoomUpdate, Task> deliver);

    Task<RoomActionResult> PostAsync(string text, string clientId, long? replyTo);

    Task<RoomActionResult> EditAsync(long messageId, string content);

    Task<RoomActionResult> DeleteAsync(long messageId);

    Task<RoomActionResult> ReactAsync(long messageId, string emoji, bool add);

    /// <summary>The reader is typing (the others see it for a few seconds).</summary>
    Task TypingAsync();

    /// <summary>The reader has seen the room up to <paramref name="seq"/>: their read marker moves there (forward only).</summary>
    Task MarkReadAsync(long seq);

    /// <summary>The usernames of the room's members (for <c>@</c> completion).</summary>
    Task<IReadOnlyList<string>> MemberNamesAsync();

    /// <summary>The page renders an update (the browser has it to show).</summary>
    void Rendering();

    /// <summary>The browser has shown the page's last render.</summary>
    void Rendered();
}

/// <summary>Opens a page's link to a room, on the side the page runs on.</summary>
public interface IRoomLinks
{
    /// <summary><paramref name="socketToken"/>: the reader's token for the Phoenix socket, when the page runs in the browser.</summary>
    IRoomLink Open(Room room, MessageAuthor me, string? socketToken);
}

/// <summary>Where a page reads a room's history: the newest page, older pages, and the events after a seq.</summary>
public interface IRoomHistorySource
{
    /// <summary>The newest messages and the seq of the newest room event, read at one instant.</summary>
    Task<LatestMessages> ReadLatestAsync(int limit);

    Task<MessagePage> ListBeforeAsync(long beforeSeq, int limit);

    Task<RoomEventPage> ListEventsAfterAsync(long afterSeq, int limit);
}

/// <summary>The newest messages of a room and the seq of its newest event.</summary>
public sealed record LatestMessages(MessagePage Messages, long LastSeq);

/// <summary>What reached a page since the last update: room events in seq order, typing notices, who is online, the connection.</summary>
public sealed class RoomUpdate
{
    private readonly List<IRoomEvent> events = [];
    private readonly List<MessageAuthor> typing = [];

    public IReadOnlyList<IRoomEvent> Events => events;

    /// <summary>Others who typed, and have not posted since.</summary>
    public IReadOnlyList<MessageAuthor> Typing => typing;

    /// <summary>
    /// A room event, after those already added. A message ends its author's typing notices added before it: a page
    /// applies the events first, so a notice left here would show its author typing again, after their message.
    /// </summary>
    public void Add(IRoomEvent roomEvent)
    {
        events.Add(roomEvent);
        if (roomEvent is Message message && typing.Count > 0)
        {
            typing.RemoveAll(who => who.Id == message.User.Id);
        }
    }

    /// <summary>Someone else typed.</summary>
    public void Typed(MessageAuthor who) => typing.Add(who);

    /// <summary>Who is online now, when it changed.</summary>
    public OnlineList? Online { get; set; }

    /// <summary>Events may have been missed (dropped for a page that fell behind, or more than a rejoin carries): catch up.</summary>
    public bool Missed { get; set; }

    /// <summary>The page's connection went down (false) or came back (true).</summary>
    public bool? Connected { get; set; }

    /// <summary>
    /// Why the page ended (<see cref="RemovedText"/>, <see cref="SignedOutText"/>), when it did: nothing more comes, and
    /// nothing can be sent.
    /// </summary>
    public string? Ended { get; set; }

    public const string RemovedText = "You are no longer a member of this room.";
    public const string SignedOutText = "You have been signed out.";

    /// <summary>Whether <paramref name="roomEvent"/> removes <paramref name="me"/> from the room.</summary>
    public static bool Removes(IRoomEvent roomEvent, long me) => roomEvent is MemberChanged { Role: null } gone && gone.User.Id == me;

    /// <summary>Empties the update, to fill it again.</summary>
    public void Clear()
    {
        events.Clear();
        typing.Clear();
        Online = null;
        Missed = false;
        Connected = null;
        Ended = null;
    }
}

public enum RoomActionOutcome
{
    Done,

    /// <summary>Refused (invalid, not allowed, rate limited): <see cref="RoomActionResult.Error"/> says why.</summary>
    Refused,

    /// <summary>Not stored (the store failed, or the connection is down): safe to try again.</summary>
    NotSaved,
}

/// <summary>How a post or change went; <see cref="Message"/>: the posted message, when the link has it at once.</summary>
public readonly record struct RoomActionResult(RoomActionOutcome Outcome, Message? Message = null, string? Error = null)
{
    public static RoomActionResult Done(Message? message = null) => new(RoomActionOutcome.Done, message);

    public static RoomActionResult Refused(string error) => new(RoomActionOutcome.Refused, Error: error);

    public static RoomActionResult NotSaved { get; } = new(RoomActionOutcome.NotSaved);
}

using System.Diagnostics.CodeAnalysis;
using Confab.Messages;
using Confab.Rooms;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.JSInterop;

namespace Confab.Web.Chat;

/// <summary>
/// A room, live: history with older pages on scroll, new messages and every change as they commit, replies, typing, who
/// is online; each message with its actions (<see cref="MessageItem"/>). It reaches the room through an
/// <see cref="IRoomLink"/>, the same page whether the server runs it (Blazor Server, the core in process) or the browser
/// does (WebAssembly, over the Phoenix socket), so browser and socket users see each other.
/// </summary>
public sealed partial class RoomView
{
    private RoomHistory? history;
    private IRoomLink? link;
    private bool connected;
    private bool lost;
    private string? ended;
    private bool ready;
    private string draft = "";
    private (string Text, long? ReplyTo, string ClientId)? unacknowledged;
    private Message? replyingTo;
    private string? sendError;
    private string typingText = "";
    private OnlineList online = OnlineList.Empty;
    private TypingIndicator? typing;
    private ITimer? typingTimer;
    private TimeZoneInfo zone = TimeZoneInfo.Utc;
    private IJSObjectReference? module;
    private DotNetObjectReference<RoomView>? self;
    private long? reveal;
    private readonly Dictionary<long, Acting> acting = [];
    private PersistingComponentStateSubscription persisting;

    // Read state: where the new messages began when the page opened (the divider), what the page marked read, and
    // whether the reader can see the page (a hidden tab reads nothing).
    private long? dividerAfter;
    private long markedSeq;
    private long markedAt;
    private bool markDue;
    private ITimer? markTimer;
    private bool visible;
    private int slowMode;
    private string? role;

    private const string PrerenderedKey = "confab.room";

    // Delegates made once, not on every render: an event handler that is the same delegate keeps its id, so a render
    // that changes only the list sends nothing about the composer.
    private readonly Func<long, string> nameOf;
    private readonly Func<Task> send;
    private readonly Func<ChangeEventArgs, Task> input;
    private readonly Func<RoomUpdate, Task> deliver;

    /// <summary>Messages a page at the newest keeps (a page of history); scrolling up loads older pages again.</summary>
    private const int Window = RoomHistory.PageSize;

    /// <summary>How often at most the page moves the reader's read marker.</summary>
    private static readonly TimeSpan MarkEvery = TimeSpan.FromSeconds(1);

    // The reader is at the newest messages (not reading older ones): new messages push the oldest out of the window.
    private bool atNewest = true;
    private (long Seq, MessageFocus Focus)? refocus;

    // Parameters and the prerendered history reach the browser as JSON: the records' constructors must survive trimming.
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicConstructors | DynamicallyAccessedMemberTypes.PublicProperties, typeof(Room))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicConstructors | DynamicallyAccessedMemberTypes.PublicProperties, typeof(MessageAuthor))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicConstructors | DynamicallyAccessedMemberTypes.PublicProperties, typeof(RoomListing))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicConstructors | DynamicallyAccessedMemberTypes.PublicProperties, typeof(LatestMessages))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicConstructors | DynamicallyAccessedMemberTypes.PublicProperties, typeof(MessagePage))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicConstructors | DynamicallyAccessedMemberTypes.PublicProperties, typeof(Message))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicConstructors | DynamicallyAccessedMemberTypes.PublicProperties, typeof(ReactionSummary))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicConstructors | DynamicallyAccessedMemberTypes.PublicProperties, typeof(ReplyPreview))]
    public RoomView()
    {
        nameOf = NameOf;
        send = SendAsync;
        input = OnInputAsync;
        deliver = update => Dispatch(() => ApplyAsync(update));
    }

    /// <summary>A message being acted on; the instance (by reference) is its item's key, so a new act makes a new item.</summary>
    private sealed class Acting(MessageIntent intent, string? emoji)
    {
        public MessageIntent Intent => intent;

        public string? Emoji => emoji;
    }

    [Parameter, EditorRequired]
    public Room Room { get; set; } = default!;

    /// <summary>Who is reading.</summary>
    [Parameter, EditorRequired]
    public MessageAuthor Me { get; set; } = default!;

    /// <summary>The room as the reader sees it (their role, read marker, the room's slow mode), when they belong to it.</summary>
    [Parameter]
    public RoomListing? Listing { get; set; }

    /// <summary>The reader's token for the Phoenix socket, when the page runs in the browser.</summary>
    [Parameter]
    public string? SocketToken { get; set; }

    [Inject] private IRoomLinks Links { get; set; } = default!;
    [Inject] private PersistentComponentState State { get; set; } = default!;
    [Inject] private TimeProvider Time { get; set; } = default!;
    [Inject] private IJSRuntime JS { get; set; } = default!;

    protected override async Task OnParametersSetAsync()
    {
        if (link is not null)
        {
            return;
        }

        link = Links.Open(Room, Me, SocketToken);
        history = new RoomHistory(link);
        dividerAfter = Listing?.LastReadSeq;
        markedSeq = Listing?.LastReadSeq ?? 0;
        slowMode = Listing?.SlowModeSeconds ?? 0;
        role = Listing?.Role;
        if (State.TryTakeFromJson<LatestMessages>(PrerenderedKey, out var latest) && latest is not null)
        {
            // The browser starts where the server's prerender left off: the same list, no second read, no flicker.
            history.Load(latest);
        }
        else
        {
            await history.LoadLatestAsync();
        }

        if (!RendererInfo.IsInteractive && SocketToken is not null)
        {
            persisting = State.RegisterOnPersisting(PersistAsync, RenderMode.InteractiveWebAssembly);
        }

        if (RendererInfo.IsInteractive)
        {
            typing ??= new TypingIndicator(Time);
            await link.StartAsync(history.LastEventSeq, deliver);
        }
    }

    private Task PersistAsync()
    {
        State.PersistAsJson(PrerenderedKey, history!.Snapshot());
        return Task.CompletedTask;
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!RendererInfo.IsInteractive)
        {
            return;
        }

        link?.Rendered();

        if (firstRender)
        {
            self = DotNetObjectReference.Create(this);
            module = await JS.InvokeAsync<IJSObjectReference>("import", "./js/room.js");
            var timeZone = await module.InvokeAsync<string>("init", self);
            if (TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out var found))
            {
                zone = found;
            }

            visible = await module.InvokeAsync<bool>("isVisible");
            MarkSeen();

            // Enter-to-send is wired now: let the reader type.
            ready = true;
            StateHasChanged();
        }

        if (module is null)
        {
            return;
        }

        if (reveal is { } seq)
        {
            reveal = null;
            await module.InvokeVoidAsync("reveal", seq);
        }

        if (refocus is { } back)
        {
            refocus = null;
            await module.InvokeVoidAsync("focusIn", back.Seq, back.Focus.Selector);
        }
    }

    /// <summary>
    /// Called by room.js for a click on a listed message's button (<c>data-action</c>, <see cref="MessageView"/>): a reply
    /// starts here; anything else shows the message as a <see cref="MessageItem"/>, which does it.
    /// </summary>
    [JSInvokable]
    public async Task Act(long seq, string action, string? emoji)
    {
        if (history?.Find(seq) is not { } message)
        {
            return;
        }

        MessageIntent? intent = action switch
        {
            "react" => MessageIntent.Pick,
            "edit" => MessageIntent.Edit,
            "delete" => MessageIntent.ConfirmDelete,
            "toggle" when emoji is not null => MessageIntent.Toggle,
            "original" => MessageIntent.ShowOriginal,
            _ => null,
        };
        if (action == "reply")
        {
            await StartReply(message);
        }
        else if (intent is { } asked && !acting.ContainsKey(seq))
        {
            acting[seq] = new Acting(asked, emoji);
        }

        StateHasChanged();
    }

    // A message acted on has nothing open any more: back to markup, with focus where the reader was.
    private void OnIdle(long seq, MessageFocus focus)
    {
        acting.Remove(seq);
        if (focus.Move)
        {
            refocus = (seq, focus);
        }

        StateHasChanged();
    }

    /// <summary>Called by room.js when the reader scrolls near the top.</summary>
    [JSInvokable]
    public async Task<bool> LoadOlder()
    {
        if (history is null || !await history.LoadOlderAsync())
        {
            return false;
        }

        atNewest = false;
        StateHasChanged();
        return history.HasOlder;
    }

    /// <summary>Called by room.js when the reader is back at the newest message: older pages leave the window.</summary>
    [JSInvokable]
    public void AtNewest()
    {
        atNewest = true;
        KeepWindow();
        MarkSeen();
        StateHasChanged();
    }

    /// <summary>Called by room.js when the tab is shown or hidden.</summary>
    [JSInvokable]
    public void Visible(bool shown)
    {
        visible = shown;
        MarkSeen();
    }

    /// <summary>Called by room.js for <c>@</c> completion: the members' usernames (and <c>room</c> for those who may mention everyone).</summary>
    [JSInvokable]
    public async Task<IReadOnlyList<string>> MemberNames()
    {
        if (link is null)
        {
            return [];
        }

        var names = await link.MemberNamesAsync();
        return RoomRole.Moderates(role) ? [.. names, MentionSyntax.Everyone] : names;
    }

    // The reader sees the newest messages: their read marker moves to the newest event (the sidebar's counts follow), at
    // most once a second: a busy room costs each reader a write a second, not one per message.
    private void MarkSeen()
    {
        if (link is null || history is null || !visible || !atNewest || ended is not null || history.LastEventSeq <= markedSeq)
        {
            return;
        }

        var now = Time.GetTimestamp();
        var since = Time.GetElapsedTime(markedAt, now);
        if (markedAt != 0 && since < MarkEvery)
        {
            if (!markDue)
            {
                markDue = true;
                markTimer ??= Time.CreateTimer(_ => _ = Dispatch(() =>
                {
                    markDue = false;
                    MarkSeen();
                }), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                markTimer.Change(MarkEvery - since, Timeout.InfiniteTimeSpan);
            }

            return;
        }

        markedAt = now;
        markedSeq = history.LastEventSeq;
        _ = link.MarkReadAsync(markedSeq);
    }

    private string Title => Listing?.Title ?? Room.Name;

    private string Symbol => RoomVisibility.Symbol(Room.Visibility);

    private string SlowModeText => RoomRole.Moderates(role)
        ? $"Slow mode: {slowMode} s (not for you: you moderate)"
        : $"Slow mode: one message every {slowMode} s";

    private void KeepWindow()
    {
        if (!atNewest || history is null || history.Count <= Window)
        {
            return;
        }

        history.KeepNewest(Window);
        foreach (var seq in acting.Keys.Where(seq => history.Find(seq) is null).ToList())
        {
            acting.Remove(seq);
        }
    }

    private async Task CatchUpAsync()
    {
        if (history is not null)
        {
            await history.CatchUpAsync();
        }
    }

    // One update from the link, applied to the page's state, rendered when anything shown changed.
    private async Task ApplyAsync(RoomUpdate update)
    {
        var changed = false;
        var gap = false;
        foreach (var roomEvent in update.Events)
        {
            if (roomEvent is Message message)
            {
                typing?.Forget(message.User.Id);
            }

            gap |= history!.Apply(roomEvent);
            if (roomEvent is RoomUpdated settings)
            {
                slowMode = settings.SlowModeSeconds;
            }
            else if (roomEvent is MemberChanged member && member.User.Id == Me.Id)
            {
                role = member.Role;
            }

            changed = true;
        }

        foreach (var who in update.Typing)
        {
            typing?.Saw(who.Id, who.Username);
        }

        KeepWindow();
        if (update.Ended is { } why)
        {
            ended = why;
            connected = false;
            online = OnlineList.Empty;
            changed = true;
        }
        else if (update.Connected is { } up && ended is null)
        {
            lost = !up && (connected || lost) && RendererInfo.Name == "WebAssembly";
            connected = up;
            changed = true;
        }

        if (gap || update.Missed)
        {
            // Events this page never got (dropped while it was behind, or while it was away): the room has them all.
            await CatchUpAsync();
            KeepWindow();
            changed = true;
        }

        if (update.Online is { } now && ended is null && !ReferenceEquals(now, online))
        {
            online = now;
            changed = true;
        }

        if (changed)
        {
            MarkSeen();
        }

        // A typing notice renders only when the line changes (not for each notice of someone already shown typing).
        if (RefreshTyping() || changed)
        {
            link!.Rendering();
            StateHasChanged();
        }
    }

    // The typing line as of now, and a wake-up for when it next changes by itself (a notice running out).
    private bool RefreshTyping()
    {
        var text = typing?.Describe() ?? "";
        if (typing?.NextExpiry is { } next)
        {
            typingTimer ??= Time.CreateTimer(_ => _ = Dispatch(() =>
            {
                if (RefreshTyping())
                {
                    StateHasChanged();
                }
            }), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            typingTimer.Change(TimeSpan.FromTicks(Math.Max(0, (next - Time.GetUtcNow()).Ticks)), Timeout.InfiniteTimeSpan);
        }

        if (text == typingText)
        {
            return false;
        }

        typingText = text;
        return true;
    }

    private async Task SendAsync()
    {
        if (link is null)
        {
            return;
        }

        // The text as it was when sent: the reader may type on while it commits.
        var text = draft;
        var replyTo = replyingTo?.Id;
        var clientId = unacknowledged is { } retry && retry.Text == text && retry.ReplyTo == replyTo ? retry.ClientId : Guid.NewGuid().ToString("N");
        var result = await link.PostAsync(text, clientId, replyTo);
        if (result.Outcome == RoomActionOutcome.NotSaved)
        {
            // Not stored: sending the same text again reuses the client_id, so it can never be stored twice.
            unacknowledged = (text, replyTo, clientId);
            sendError = RefusalText.NotSent;
            return;
        }

        unacknowledged = null;
        if (result.Outcome == RoomActionOutcome.Refused)
        {
            sendError = result.Error;
            return;
        }

        if (draft == text)
        {
            draft = "";
        }

        sendError = null;
        if (replyingTo?.Id == replyTo)
        {
            replyingTo = null;
        }

        if (result.Message is { } posted)
        {
            history!.AddOwn(posted);
        }
    }

    private async Task StartReply(Message message)
    {
        replyingTo = message;
        if (module is not null)
        {
            await module.InvokeVoidAsync("focusComposer");
        }
    }

    private void CancelReply()
    {
        replyingTo = null;
    }

    /// <summary>The reader changed a message: show it now (its broadcast then changes nothing).</summary>
    private async Task OnChangedAsync()
    {
        await CatchUpAsync();
    }

    private async Task<bool> ShowOriginalAsync(ReplyPreview original)
    {
        if (history is null || !await history.LoadThroughAsync(original.Seq))
        {
            return false;
        }

        reveal = original.Seq;
        StateHasChanged();
        return true;
    }

    private string NameOf(long userId) =>
        history?.NameOf(userId) ?? online.NameOf(userId) ?? $"user {userId}";

    private async Task OnInputAsync(ChangeEventArgs change)
    {
        draft = change.Value as string ?? "";
        if (link is not null && draft.Length > 0)
        {
            await link.TypingAsync();
        }
    }

    private Task Dispatch(Func<Task> work) => DispatchCore(() => InvokeAsync(work));

    private Task Dispatch(Action work) => DispatchCore(() => InvokeAsync(work));

    private static async Task DispatchCore(Func<Task> invoke)
    {
        try
        {
            await invoke();
        }
        catch (ObjectDisposedException)
        {
            // The page ended while an update was on its way: nobody is looking any more.
        }
    }

    private MessageClock Clock() => MessageClock.At(Time.GetUtcNow(), zone);

    public async ValueTask DisposeAsync()
    {
        persisting.Dispose();
        if (link is not null)
        {
            await link.DisposeAsync();
        }

        typingTimer?.Dispose();
        markTimer?.Dispose();
        await JsModules.ReleaseAsync(module);

        self?.Dispose();
    }
}

using Confab.Accounts;
using Confab.Api;
using Confab.Channels;
using Confab.Messages;
using Confab.Realtime;
using Confab.Rooms;
using Confab.Storage;
using Confab.Web.Chat;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Options;
using Microsoft.JSInterop;

namespace Confab.Web.Pages;

/// <summary>
/// A room, live: history with older pages on scroll, new messages and every change as they commit, replies, typing, who
/// is online; each message with its actions (<see cref="MessageItem"/>). It uses the same core as the sockets:
/// <see cref="MessageActions"/> to post and change, the room's <see cref="IPubSub"/> topic to receive, and
/// <see cref="IPresence"/> to be seen, so browser and socket users see each other.
/// </summary>
public sealed partial class RoomPage
{
    private Room? room;
    private RoomHistory? history;
    private MessageAuthor me = new(0, "");
    private bool connected;
    private bool ready;
    private string draft = "";
    private (string Text, long? ReplyTo, string ClientId)? unacknowledged;
    private Message? replyingTo;
    private string? sendError;
    private string typingText = "";
    private OnlineList online = OnlineList.Empty;
    private TypingIndicator? typing;
    private ITimer? typingTimer;
    private IDisposable? subscription;
    private PageInbox? inbox;
    private PresenceHandle? presence;
    private TimeZoneInfo zone = TimeZoneInfo.Utc;
    private IJSObjectReference? module;
    private DotNetObjectReference<RoomPage>? self;
    private long? reveal;
    private readonly Dictionary<long, Acting> acting = [];

    // Delegates made once, not on every render: an event handler that is the same delegate keeps its id, so a render
    // that changes only the list sends nothing about the composer.
    private readonly Func<long, string> nameOf;
    private readonly Func<Task> send;
    private readonly Func<ChangeEventArgs, Task> input;

    /// <summary>Messages a page at the newest keeps (a page of history); scrolling up loads older pages again.</summary>
    private const int Window = RoomHistory.PageSize;

    // The reader is at the newest messages (not reading older ones): new messages push the oldest out of the window.
    private bool atNewest = true;
    private (long Seq, MessageFocus Focus)? refocus;

    // When the first render the browser has not acknowledged yet was sent (Blazor runs OnAfterRender on the ack).
    private long? unacknowledgedSince;

    public RoomPage()
    {
        nameOf = NameOf;
        send = SendAsync;
        input = OnInputAsync;
    }

    /// <summary>A message being acted on; the instance (by reference) is its item's key, so a new act makes a new item.</summary>
    private sealed class Acting(MessageIntent intent, string? emoji)
    {
        public MessageIntent Intent => intent;

        public string? Emoji => emoji;
    }

    [Parameter]
    public string Slug { get; set; } = "";

    [CascadingParameter]
    private Task<AuthenticationState> Authentication { get; set; } = default!;

    [Inject] private RoomDirectory Rooms { get; set; } = default!;
    [Inject] private ChatStore Store { get; set; } = default!;
    [Inject] private MessageActions Actions { get; set; } = default!;
    [Inject] private IPubSub PubSub { get; set; } = default!;
    [Inject] private IPresence Presence { get; set; } = default!;
    [Inject] private RoomActivity Activity { get; set; } = default!;
    [Inject] private TimeProvider Time { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;
    [Inject] private IJSRuntime JS { get; set; } = default!;
    [Inject] private CircuitConnection Circuit { get; set; } = default!;
    [Inject] private IOptions<RealtimeOptions> Realtime { get; set; } = default!;

    private string Topic => RoomActivity.Topic(room!.Slug);

    protected override async Task OnParametersSetAsync()
    {
        if (room?.Slug == Slug)
        {
            return;
        }

        Disconnect();
        history = null;
        var user = (await Authentication).User;
        me = new MessageAuthor(user.UserId(), user.Username());
        room = await Rooms.GetForAsync(me.Id, Slug);
        if (room is null)
        {
            Navigation.NotFound();
            return;
        }

        history = new RoomHistory(Store, room.Id);
        await history.LoadLatestAsync();
        if (RendererInfo.IsInteractive)
        {
            typing ??= new TypingIndicator(Time);
            await ConnectAsync();
        }
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (room is null || !RendererInfo.IsInteractive)
        {
            return;
        }

        unacknowledgedSince = null;

        if (firstRender)
        {
            self = DotNetObjectReference.Create(this);
            module = await JS.InvokeAsync<IJSObjectReference>("import", "./js/room.js");
            var timeZone = await module.InvokeAsync<string>("init", self);
            if (TimeZoneInfo.TryFindSystemTimeZoneById(timeZone, out var found))
            {
                zone = found;
            }

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
        StateHasChanged();
    }

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

    private async Task ConnectAsync()
    {
        inbox = new PageInbox(DrainAsync);
        subscription = PubSub.Subscribe(Topic, inbox);
        Circuit.ConnectionChanged += OnConnectionChanged;
        Track();
        connected = true;
        // Anything committed between the first page and the subscription.
        await CatchUpAsync();
    }

    private void Disconnect()
    {
        Circuit.ConnectionChanged -= OnConnectionChanged;
        subscription?.Dispose();
        subscription = null;
        inbox?.Close();
        inbox = null;
        Untrack();
        connected = false;
    }

    private void Track()
    {
        if (presence is null && room is not null)
        {
            presence = Presence.Track(Topic, RoomActivity.PresenceKey(me.Id), Activity.PresenceMeta(me), this);
            online = OnlineList.Of(Topic, Presence.List(Topic));
        }
    }

    private void Untrack()
    {
        if (presence is not null)
        {
            Presence.Untrack(presence);
            presence = null;
        }
    }

    // The browser's connection dropped or came back: be seen online only while it is up, and fill what was missed.
    private void OnConnectionChanged(bool up) => _ = Dispatch(async () =>
    {
        if (up)
        {
            unacknowledgedSince = null;
            Track();
            await CatchUpAsync();
        }
        else
        {
            Untrack();
        }

        StateHasChanged();
    });

    private async Task CatchUpAsync()
    {
        if (history is not null)
        {
            await history.CatchUpAsync();
        }
    }

    // Everything the room broadcast since the last turn, applied at once and rendered once (PageInbox).
    private Task DrainAsync(PageInbox from) => Dispatch(async () =>
    {
        var changed = false;
        var presenceChanged = false;
        for (var taken = 0; taken < PageInbox.Capacity && from.TryTake(out var broadcast); taken++)
        {
            presenceChanged |= broadcast.Event == IPresence.DiffEvent;
            changed |= await ApplyAsync(broadcast);
        }

        if (from.TakeMissed())
        {
            // Broadcasts were dropped while this page was behind: the store has every room event.
            await CatchUpAsync();
            presenceChanged = changed = true;
        }

        if (presenceChanged)
        {
            online = OnlineList.Of(Topic, Presence.List(Topic));
        }

        // A typing notice renders only when the line changes (not for each notice of someone already shown typing).
        if (RefreshTyping() || changed || presenceChanged)
        {
            KeepUp();
            StateHasChanged();
        }
    });

    // A browser that stops acknowledging its updates is treated as a socket that stops reading: after PageAckTimeout its
    // connection is closed. Blazor holds what it has not sent (a few batches at most) and the room never waits for it;
    // the browser reconnects and the page catches up from the store.
    private void KeepUp()
    {
        if (unacknowledgedSince is not { } since)
        {
            unacknowledgedSince = Time.GetTimestamp();
        }
        else if (Time.GetElapsedTime(since) > Realtime.Value.PageAckTimeout)
        {
            unacknowledgedSince = null;
            Circuit.Drop();
        }
    }

    // Applies one broadcast to the page's state; true when the page shows something new (the typing line is checked
    // once per turn).
    private async Task<bool> ApplyAsync(Broadcast broadcast)
    {
        switch (broadcast.Event)
        {
            case RoomEventNames.NewMessage when RoomActivity.Read(broadcast, ConfabJsonContext.Default.Message) is { } message:
                var gap = history!.Apply(message);
                typing?.Forget(message.User.Id);
                KeepWindow();
                if (gap)
                {
                    await CatchUpAsync();
                }

                return true;
            case RoomEventNames.MessageUpdated or RoomEventNames.MessageDeleted or RoomEventNames.ReactionAdded or RoomEventNames.ReactionRemoved
                when RoomActivity.ReadEvent(broadcast) is { } change:
                if (history!.Apply(change))
                {
                    await CatchUpAsync();
                }

                return true;
            case RoomActivity.TypingEvent when RoomActivity.Read(broadcast, ConfabJsonContext.Default.UserTyping) is { } notice && notice.UserId != me.Id:
                typing?.Saw(notice.UserId, notice.Username);
                return false;
            default:
                return false;
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
        if (room is null)
        {
            return;
        }

        // The text as it was when sent: the reader may type on while it commits.
        var text = draft;
        var replyTo = replyingTo?.Id;
        var clientId = unacknowledged is { } retry && retry.Text == text && retry.ReplyTo == replyTo ? retry.ClientId : Guid.NewGuid().ToString("N");
        ChangeResult result;
        try
        {
            result = await Actions.PostAsync(room, me, text, clientId, replyTo);
        }
        catch (StorageException)
        {
            // Not stored: sending the same text again reuses the client_id, so it can never be stored twice.
            unacknowledged = (text, replyTo, clientId);
            sendError = "Your message could not be sent. Please try again.";
            return;
        }

        unacknowledged = null;
        switch (result.Outcome)
        {
            case ChangeOutcome.Done:
                if (draft == text)
                {
                    draft = "";
                }

                sendError = null;
                if (replyingTo?.Id == replyTo)
                {
                    replyingTo = null;
                }

                history!.AddOwn(result.Message!);
                break;
            default:
                sendError = RefusalText.Describe(result);
                break;
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
        if (room is not null && draft.Length > 0 && Activity.Typing(room, me) is { } notice)
        {
            await PubSub.BroadcastAsync(new Broadcast(Topic, RoomActivity.TypingEvent, RoomActivity.TypingPayload(notice), notice) { Droppable = true });
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
            // The circuit ended while a broadcast was on its way: nobody is looking any more.
        }
    }

    private MessageClock Clock() => MessageClock.At(Time.GetUtcNow(), zone);

    public async ValueTask DisposeAsync()
    {
        Disconnect();
        typingTimer?.Dispose();
        if (module is not null)
        {
            try
            {
                await module.DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
                // The browser is gone; its side of the module went with it.
            }
        }

        self?.Dispose();
    }
}

using System.Collections.Concurrent;
using System.Text.Json;
using Confab.Api;
using Confab.Channels;
using Confab.Messages;
using Confab.Realtime;
using Confab.Rooms;
using Confab.Storage;
using Microsoft.Extensions.Options;

namespace Confab.Web.Chat;

/// <summary>
/// The room page on the server (Blazor Server): the same core as the sockets, in process. It posts and changes through
/// <see cref="MessageActions"/>, receives on the room's <see cref="IPubSub"/> topic, is seen through <see cref="IPresence"/>
/// while the browser is connected, and reads history from the <see cref="ChatStore"/>.
/// </summary>
/// <remarks>
/// Broadcasts reach the page through a <see cref="PageInbox"/>: the publisher only queues, and a thread-pool turn hands
/// the page everything queued as one update. A browser that stops acknowledging its updates is treated as a socket that
/// stops reading: after <see cref="RealtimeOptions.PageAckTimeout"/> its connection is closed. Blazor holds what it has
/// not sent (a few batches at most) and the room never waits for it; the browser reconnects and the page catches up.
/// </remarks>
public sealed class ServerRoomLink(
    Room room, MessageAuthor me, ChatStore store, MessageActions actions, MemberActions members, RoomMembers roster, ReadState reads,
    IPubSub pubSub, IPresence presence, RoomActivity activity, RoomEventStream stream, CircuitConnection circuit, TimeProvider time, RealtimeOptions options)
    : IRoomLink
{
    private static readonly TimeSpan OnlineEvery = TimeSpan.FromSeconds(1);

    private readonly string topic = RoomActivity.Topic(room.Slug);
    private readonly Lock gate = new();
    private ITimer? onlineTimer;
    private long onlineAt;
    private bool onlineDue;
    private Func<RoomUpdate, Task>? deliver;
    private volatile bool removed;

    // The inbox's drains are one at a time and each is applied before the next: one update serves them all.
    private readonly RoomUpdate drained = new();
    private IDisposable? subscription;
    private IDisposable? sessionSubscription;
    private readonly string sessionTopic = UserSocket.SocketId(me.Id);
    private PageInbox? inbox;
    private PresenceHandle? tracked;

    // When the first render the browser has not acknowledged yet was delivered (0: none).
    private long unacknowledgedSince;

    public async Task<LatestMessages> ReadLatestAsync(int limit)
    {
        var snapshot = await stream.ReadRoomAsync(room, lastSeq: null, limit, limit);
        return new LatestMessages(snapshot.Messages, snapshot.LastSeq);
    }

    public Task<MessagePage> ListBeforeAsync(long beforeSeq, int limit) => store.ListMessagesBeforeAsync(room.Id, beforeSeq, limit);

    public Task<RoomEventPage> ListEventsAfterAsync(long afterSeq, int limit) => store.ListEventsAfterAsync(room.Id, afterSeq, limit);

    public async Task StartAsync(long afterSeq, Func<RoomUpdate, Task> deliver)
    {
        // Opening a public room joins it, as joining its channel does.
        await members.JoinAsync(room, me);
        this.deliver = deliver;
        inbox = new PageInbox(DrainAsync);
        subscription = pubSub.Subscribe(topic, inbox);
        sessionSubscription = pubSub.Subscribe(sessionTopic, inbox);
        circuit.ConnectionChanged += OnConnectionChanged;
        Track();
        // Anything committed after afterSeq, up to the subscription: the page catches up from the store.
        await DeliverAsync(new RoomUpdate { Missed = true, Connected = true, Online = RoomOnline.Of(topic, presence.List(topic)) });
    }

    public void Rendering() => KeepUp();

    public void Rendered() => Volatile.Write(ref unacknowledgedSince, 0);

    public async Task<RoomActionResult> PostAsync(string text, string clientId, long? replyTo)
    {
        try
        {
            var result = await actions.PostAsync(room, me, text, clientId, replyTo);
            return result.Outcome == ChangeOutcome.Done ? RoomActionResult.Done(result.Message) : Refused(result);
        }
        catch (StorageException)
        {
            return RoomActionResult.NotSaved;
        }
    }

    public Task<RoomActionResult> EditAsync(long messageId, string content) => ChangeAsync(actions.EditAsync(room, me, messageId, content));

    public Task<RoomActionResult> DeleteAsync(long messageId) => ChangeAsync(actions.DeleteAsync(room, me, messageId));

    public Task<RoomActionResult> ReactAsync(long messageId, string emoji, bool add) => ChangeAsync(actions.ReactAsync(room, me, messageId, emoji, add));

    public async Task TypingAsync()
    {
        if (activity.Typing(room, me) is { } notice)
        {
            await pubSub.BroadcastAsync(new Broadcast(topic, RoomActivity.TypingEvent, RoomActivity.TypingPayload(notice), notice) { Droppable = true });
        }
    }

    public async Task MarkReadAsync(long seq)
    {
        try
        {
            await reads.MarkReadAsync(room, me, seq);
        }
        catch (StorageException)
        {
            // Not stored: the next thing the reader sees marks it again.
        }
    }

    public async Task<IReadOnlyList<string>> MemberNamesAsync() =>
        [.. (await roster.GetAsync(room.Id)).List().Select(member => member.User.Username)];

    private static async Task<RoomActionResult> ChangeAsync(ValueTask<ChangeResult> change)
    {
        try
        {
            var result = await change;
            return result.Outcome is ChangeOutcome.Done or ChangeOutcome.Unchanged ? RoomActionResult.Done() : Refused(result);
        }
        catch (StorageException)
        {
            return RoomActionResult.NotSaved;
        }
    }

    private static RoomActionResult Refused(ChangeResult result) => RoomActionResult.Refused(result.Outcome switch
    {
        ChangeOutcome.RateLimited => RefusalText.RateLimited(result.Reason!, result.RetryAfter),
        ChangeOutcome.Invalid => RefusalText.Sentence(result.Errors!.Values.First()[0]),
        _ => RefusalText.Sentence(result.Reason ?? RefusalText.NotSaved),
    });

    // Everything the room broadcast since the last turn, as one update.
    private Task DrainAsync(PageInbox from)
    {
        var update = drained;
        update.Clear();
        var presenceChanged = false;
        for (var taken = 0; taken < PageInbox.Capacity && from.TryTake(out var broadcast); taken++)
        {
            switch (broadcast.Event)
            {
                case IPresence.DiffEvent:
                    presenceChanged = true;
                    break;
                case UserSocket.DisconnectEvent when broadcast.Topic == sessionTopic:
                    // The user's sessions end (a server admin deactivated them): this page with them.
                    update.Ended = RoomUpdate.SignedOutText;
                    break;
                case RoomActivity.TypingEvent when RoomActivity.Read(broadcast, ConfabJsonContext.Default.UserTyping) is { } notice && notice.UserId != me.Id:
                    update.Typed(new MessageAuthor(notice.UserId, notice.Username));
                    break;
                default:
                    if (RoomActivity.ReadEvent(broadcast) is { } roomEvent)
                    {
                        update.Add(roomEvent);
                        if (RoomUpdate.Removes(roomEvent, me.Id))
                        {
                            update.Ended = RoomUpdate.RemovedText;
                        }
                    }

                    break;
            }
        }

        if (from.TakeMissed())
        {
            // Broadcasts were dropped while this page was behind: the store has every room event.
            update.Missed = presenceChanged = true;
        }

        if (update.Ended is not null)
        {
            // No longer a member, or signed out: the room's broadcasts stop here, and the reader is no longer seen in it.
            removed = true;
            circuit.ConnectionChanged -= OnConnectionChanged;
            subscription?.Dispose();
            sessionSubscription?.Dispose();
            Untrack();
            return DeliverAsync(update);
        }

        if (presenceChanged)
        {
            update.Online = OnlineNow();
        }

        return DeliverAsync(update);
    }

    // Who is online, at most once per OnlineEvery per page: when hundreds join a room at once, each of its pages renders
    // the list once a second, not once per join. A change within the second shows at its end.
    private OnlineList? OnlineNow()
    {
        var now = time.GetTimestamp();
        lock (gate)
        {
            if (onlineAt != 0 && time.GetElapsedTime(onlineAt, now) < OnlineEvery)
            {
                onlineTimer ??= time.CreateTimer(static state => ((ServerRoomLink)state!).OnOnlineTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
                if (!onlineDue)
                {
                    onlineDue = true;
                    onlineTimer.Change(OnlineEvery - time.GetElapsedTime(onlineAt, now), Timeout.InfiniteTimeSpan);
                }

                return null;
            }

            onlineAt = now;
        }

        return RoomOnline.Of(topic, presence.List(topic));
    }

    private void OnOnlineTimer()
    {
        lock (gate)
        {
            onlineDue = false;
            onlineAt = time.GetTimestamp();
        }

        _ = DeliverAsync(new RoomUpdate { Online = RoomOnline.Of(topic, presence.List(topic)) });
    }

    private Task DeliverAsync(RoomUpdate update) => deliver?.Invoke(update) ?? Task.CompletedTask;

    private void KeepUp()
    {
        var since = Volatile.Read(ref unacknowledgedSince);
        if (since == 0)
        {
            Volatile.Write(ref unacknowledgedSince, time.GetTimestamp());
        }
        else if (time.GetElapsedTime(since) > options.PageAckTimeout)
        {
            Volatile.Write(ref unacknowledgedSince, 0);
            circuit.Drop();
        }
    }

    // The browser's connection dropped or came back: be seen online only while it is up, and fill what was missed.
    private void OnConnectionChanged(bool up)
    {
        if (up)
        {
            Rendered();
            Track();
        }
        else
        {
            Untrack();
        }

        _ = DeliverAsync(new RoomUpdate { Connected = up, Missed = up, Online = RoomOnline.Of(topic, presence.List(topic)) });
    }

    private void Track()
    {
        lock (gate)
        {
            if (removed)
            {
                return;
            }

            tracked ??= presence.Track(topic, RoomActivity.PresenceKey(me.Id), activity.PresenceMeta(me), this);
        }
    }

    private void Untrack()
    {
        lock (gate)
        {
            if (tracked is not null)
            {
                presence.Untrack(tracked);
                tracked = null;
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        circuit.ConnectionChanged -= OnConnectionChanged;
        onlineTimer?.Dispose();
        subscription?.Dispose();
        sessionSubscription?.Dispose();
        inbox?.Close();
        Untrack();
        deliver = null;
        return ValueTask.CompletedTask;
    }
}

/// <summary>The server's room links: one per open room page, over the circuit's services.</summary>
public sealed class ServerRoomLinks(
    ChatStore store, MessageActions actions, MemberActions members, RoomMembers roster, ReadState reads, IPubSub pubSub, IPresence presence,
    RoomActivity activity, RoomEventStream stream, CircuitConnection circuit, TimeProvider time, IOptions<RealtimeOptions> options) : IRoomLinks
{
    public IRoomLink Open(Room room, MessageAuthor me, string? socketToken) =>
        new ServerRoomLink(room, me, store, actions, members, roster, reads, pubSub, presence, activity, stream, circuit, time, options.Value);
}

/// <summary>
/// Who is online in each room, shared by the room's pages: read from the presence state once per topic and change, and
/// the same <see cref="OnlineList"/> while the state is the same.
/// </summary>
public static class RoomOnline
{
    private static readonly ConcurrentDictionary<string, (byte[] State, OnlineList List)> LastByTopic = new(StringComparer.Ordinal);

    /// <summary>The list for the presence state of <paramref name="topic"/> (<see cref="IPresence.List"/>).</summary>
    public static OnlineList Of(string topic, JsonPayload presenceState)
    {
        var bytes = presenceState.Utf8.Span;
        if (LastByTopic.TryGetValue(topic, out var last) && bytes.SequenceEqual(last.State))
        {
            return last.List;
        }

        using var document = JsonDocument.Parse(presenceState.Utf8);
        var list = new OnlineList(OnlineUser.FromPresence(document.RootElement));
        LastByTopic[topic] = (bytes.ToArray(), list);
        return list;
    }
}

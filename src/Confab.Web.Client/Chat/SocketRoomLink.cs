using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Confab.Channels.Client;
using Confab.Messages;
using Confab.Rooms;

namespace Confab.Web.Chat;

/// <summary>
/// The room page in the browser (WebAssembly): the room channel on the Phoenix socket, as every other client uses it
/// (docs/protocol.md), so a reader costs the server what a socket costs. Live events and presence come on the channel; a
/// rejoin after a lost connection asks for the events after the newest one applied (<c>last_seq</c>); older pages and a
/// longer catch-up come from the HTTP API with the same token. When the token runs out, a fresh one comes from the
/// reader's session (<c>GET /api/auth/token</c>) and the socket connects again.
/// </summary>
public sealed class SocketRoomLink : IRoomLink
{
    private static readonly TimeSpan TypingEvery = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RenewEvery = TimeSpan.FromSeconds(5);

    private readonly Room room;
    private readonly MessageAuthor me;
    private readonly HttpClient http;
    private readonly TimeProvider time;
    private readonly PhoenixSocket socket;
    private readonly Lock gate = new();
    private readonly TaskCompletionSource<LatestMessages> latest = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string token;
    private PhoenixChannel? channel;
    private PhoenixPresence? presence;
    private Func<RoomUpdate, Task>? deliver;
    private RoomUpdate? pending;
    private bool pumping;
    private Task? renewing;
    private bool disposed;
    private volatile bool removed;
    private long? typedAt;
    private long? renewedAt;

    // The newest seq the reader has seen (their read marker), 0 before any.
    private long readSeq;

    // The newest room event the page has (every rejoin asks for the events after it); null before the first join.
    private long? lastSeq;

    public SocketRoomLink(Room room, MessageAuthor me, string token, Uri baseAddress, HttpClient http, TimeProvider time)
    {
        this.room = room;
        this.me = me;
        this.token = token;
        this.http = http;
        this.time = time;
        socket = new PhoenixSocket(new Uri(baseAddress, "socket"), () => new Dictionary<string, string> { ["token"] = this.token });
        socket.Closed += _ => Enqueue(update => update.Connected = false);
        socket.Error += OnSocketError;
    }

    private string Topic => RoomEvents.TopicPrefix + room.Slug;

    public Task<LatestMessages> ReadLatestAsync(int limit)
    {
        Connect();
        return latest.Task;
    }

    public async Task<MessagePage> ListBeforeAsync(long beforeSeq, int limit) =>
        await GetAsync($"api/rooms/{Uri.EscapeDataString(room.Slug)}/messages?before_seq={beforeSeq}&limit={limit}", RoomJson.Default.MessagePage)
        ?? new MessagePage([], false);

    public async Task<RoomEventPage> ListEventsAfterAsync(long afterSeq, int limit)
    {
        using var document = await GetAsync($"api/rooms/{Uri.EscapeDataString(room.Slug)}/events?after_seq={afterSeq}&limit={limit}", RoomJson.Default.JsonDocument);
        if (document is null)
        {
            return new RoomEventPage([], false);
        }

        var events = RoomEvents.ReadEntries(document.RootElement.GetProperty("events"));
        Seen(events);
        return new RoomEventPage(events, document.RootElement.TryGetProperty("has_more", out var more) && more.ValueKind == JsonValueKind.True);
    }

    public Task StartAsync(long afterSeq, Func<RoomUpdate, Task> deliver)
    {
        lock (gate)
        {
            lastSeq = Math.Max(lastSeq ?? 0, afterSeq);
            this.deliver = deliver;
        }

        Connect();
        _ = PumpAsync();
        return Task.CompletedTask;
    }

    // A socket that falls behind is the server's to close (its queue is bounded); nothing to watch here.
    public void Rendering()
    {
    }

    public void Rendered()
    {
    }

    public Task<RoomActionResult> PostAsync(string text, string clientId, long? replyTo) => PushAsync("new_message", writer =>
    {
        writer.WriteString("content", text);
        writer.WriteString("client_id", clientId);
        if (replyTo is { } id)
        {
            writer.WriteNumber("reply_to", id);
        }
    });

    public Task<RoomActionResult> EditAsync(long messageId, string content) => PushAsync("edit_message", writer =>
    {
        writer.WriteNumber("message_id", messageId);
        writer.WriteString("content", content);
    });

    public Task<RoomActionResult> DeleteAsync(long messageId) => PushAsync("delete_message", writer => writer.WriteNumber("message_id", messageId));

    public Task<RoomActionResult> ReactAsync(long messageId, string emoji, bool add) => PushAsync(add ? "add_reaction" : "remove_reaction", writer =>
    {
        writer.WriteNumber("message_id", messageId);
        writer.WriteString("emoji", emoji);
    });

    public Task TypingAsync()
    {
        // The server forwards one notice a second per user; more would only be dropped there. No reply comes.
        var now = time.GetTimestamp();
        if (channel is { State: PhoenixChannelState.Joined } joined && (typedAt is not { } last || time.GetElapsedTime(last, now) >= TypingEvery))
        {
            typedAt = now;
            _ = joined.PushAsync("typing", static writer =>
            {
                writer.WriteStartObject();
                writer.WriteEndObject();
            }, TypingEvery);
        }

        return Task.CompletedTask;
    }

    public Task MarkReadAsync(long seq)
    {
        // Before the channel has joined, the marker waits for the join (OnJoinReplied).
        readSeq = Math.Max(readSeq, seq);
        PushReadMarker();
        return Task.CompletedTask;
    }

    // Forward only on the server: a push lost on the way is made good by the next one, or the next join.
    private void PushReadMarker()
    {
        var seq = readSeq;
        if (seq > 0 && channel is { State: PhoenixChannelState.Joined } joined)
        {
            _ = joined.PushAsync("mark_read", writer =>
            {
                writer.WriteStartObject();
                writer.WriteNumber("seq", seq);
                writer.WriteEndObject();
            });
        }
    }

    public async Task<IReadOnlyList<string>> MemberNamesAsync() =>
        [.. (await GetAsync($"api/rooms/{Uri.EscapeDataString(room.Slug)}/members", RoomJson.Default.IReadOnlyListMemberEntry) ?? []).Select(member => member.User.Username)];

    private async Task<RoomActionResult> PushAsync(string @event, Action<Utf8JsonWriter> write, bool renewed = false)
    {
        // A channel the server closed (its token ran out) is replaced: the push waits for the new one to join.
        Connect();
        if (channel is not { State: not PhoenixChannelState.Closed } open)
        {
            return RoomActionResult.NotSaved;
        }

        var pushed = open.PushAsync(@event, writer =>
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        });

        // The server closed the channel (its token ran out) as the push went out: no channel took it (its reply, "unmatched
        // topic", goes to no channel, as in phoenix.js), so it would only time out. The close ends the wait instead.
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnClosed() => closed.TrySetResult();
        open.Closed += OnClosed;
        bool lost;
        try
        {
            if (open.State == PhoenixChannelState.Closed)
            {
                closed.TrySetResult();
            }

            lost = await Task.WhenAny(pushed, closed.Task) != pushed;
        }
        finally
        {
            open.Closed -= OnClosed;
        }

        var reply = lost ? default : await pushed;
        if (!lost && reply.IsOk)
        {
            return RoomActionResult.Done();
        }

        // The token ran out just before the push (its channel is closing), or the channel closed under it: once renewed,
        // the same push again (nothing took the first; a post keeps its client_id, so it is stored once in any case).
        if ((lost || (reply.IsError && reply.Reason is (RoomEvents.TokenExpiredReason or RoomEvents.UnmatchedTopicReason))) && !renewed && !removed)
        {
            await RenewAsync();
            return await PushAsync(@event, write, renewed: true);
        }

        if (lost)
        {
            return RoomActionResult.NotSaved;
        }

        // A timeout: it may or may not have been stored; sent again (a post with its client_id) it is stored once.
        if (!reply.IsError || reply.Reason == RoomEvents.NotSavedReason)
        {
            return RoomActionResult.NotSaved;
        }

        var response = reply.Response;
        if (response.ValueKind == JsonValueKind.Object && response.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object)
        {
            foreach (var field in errors.EnumerateObject())
            {
                if (field.Value.ValueKind == JsonValueKind.Array && field.Value.GetArrayLength() > 0)
                {
                    return RoomActionResult.Refused(RefusalText.Sentence(field.Value[0].GetString() ?? ""));
                }
            }
        }

        if (response.ValueKind == JsonValueKind.Object && response.TryGetProperty("retry_after_ms", out var wait) && wait.TryGetInt64(out var ms))
        {
            return RoomActionResult.Refused(RefusalText.RateLimited(reply.Reason ?? "", TimeSpan.FromMilliseconds(ms)));
        }

        return RoomActionResult.Refused(RefusalText.Sentence(reply.Reason ?? RefusalText.NotSaved));
    }

    // The socket and the room's channel, once; a new channel after the server closed the last (an expired token).
    private void Connect()
    {
        lock (gate)
        {
            if (disposed || removed || channel is { State: not PhoenixChannelState.Closed })
            {
                return;
            }

            presence?.Dispose();
            channel = socket.Channel(Topic, writer =>
            {
                writer.WriteStartObject();
                if (lastSeq is { } seq)
                {
                    writer.WriteNumber("last_seq", seq);
                }

                writer.WriteEndObject();
            });
            channel.JoinReplied += OnJoinReplied;
            channel.Errored += () => Enqueue(update => update.Connected = false);
            foreach (var name in RoomEvents.Names)
            {
                channel.On(name, payload => OnRoomEvent(name, payload));
            }

            channel.On(RoomEvents.TypingEvent, OnTyping);
            channel.On(RoomEvents.TokenExpiredEvent, OnTokenExpired);
            presence = new PhoenixPresence(channel);
            var followed = presence;
            presence.Synced += () => Enqueue(update => update.Online = Online(followed));
        }

        _ = socket.ConnectAsync();
        _ = channel.JoinAsync();
    }

    private static OnlineList Online(PhoenixPresence presence)
    {
        var users = new List<OnlineUser>();
        foreach (var entry in presence.List())
        {
            if (OnlineUser.From(entry.Key, entry.Metas) is { } user)
            {
                users.Add(user);
            }
        }

        return new OnlineList(OnlineUser.Sorted(users));
    }

    private void OnJoinReplied(PhoenixReply reply)
    {
        if (!reply.IsOk)
        {
            if (reply.Reason == "unauthorized")
            {
                _ = RenewAsync();
            }

            return;
        }

        PushReadMarker();
        var response = reply.Response;
        var messages = response.GetProperty("messages").Deserialize(RoomJson.Default.IReadOnlyListMessage) ?? [];
        var newest = response.GetProperty("last_seq").GetInt64();
        if (!response.TryGetProperty("events", out var replayed))
        {
            // The first join: the newest page of history.
            lock (gate)
            {
                lastSeq ??= newest;
            }

            latest.TrySetResult(new LatestMessages(new MessagePage(messages, messages.Count >= RoomHistory.PageSize), newest));
            Enqueue(update => update.Connected = true);
            return;
        }

        // A rejoin: the events since the newest the page had, up to the backlog's limit.
        var events = RoomEvents.ReadEntries(replayed);
        var cut = response.TryGetProperty("has_more", out var more) && more.ValueKind == JsonValueKind.True;
        Enqueue(update =>
        {
            foreach (var entry in events)
            {
                update.Add(entry.Payload);
            }

            update.Missed |= cut;
            update.Connected = true;
        });
    }

    private void OnRoomEvent(string name, JsonElement payload)
    {
        if (RoomEvents.Read(name, payload) is { } roomEvent)
        {
            // Removed from the room: the server closes the channel next, and it is not joined again.
            removed |= RoomUpdate.Removes(roomEvent, me.Id);
            Enqueue(update =>
            {
                update.Add(roomEvent);
                if (RoomUpdate.Removes(roomEvent, me.Id))
                {
                    update.Ended = RoomUpdate.RemovedText;
                }
            });
        }
    }

    private void OnTyping(JsonElement payload)
    {
        if (payload.TryGetProperty("user_id", out var id) && id.TryGetInt64(out var userId) && userId != me.Id
            && payload.TryGetProperty("username", out var name) && name.GetString() is { } username)
        {
            Enqueue(update => update.Typed(new MessageAuthor(userId, username)));
        }
    }

    private void OnTokenExpired(JsonElement payload) => _ = RenewAsync();

    // A refused connect: in a browser the refusal's status cannot be seen, so a token that ran out while the socket was
    // down (a laptop asleep) looks like any failure. Each failure, at most every few seconds, asks the session for a
    // fresh token; while the server is away that request fails too and nothing changes.
    private void OnSocketError(Exception error)
    {
        if (error is PhoenixConnectionException && (renewedAt is not { } last || time.GetElapsedTime(last) >= RenewEvery))
        {
            renewedAt = time.GetTimestamp();
            _ = RenewAsync();
        }
    }

    // The token ran out (or was refused): a fresh one from the reader's session, then the socket and the channel again.
    // One renewal at a time; whoever asks meanwhile waits for that one.
    private Task RenewAsync()
    {
        lock (gate)
        {
            return disposed ? Task.CompletedTask : renewing ??= RenewOnceAsync();
        }
    }

    private async Task RenewOnceAsync()
    {
        await Task.Yield(); // RenewAsync stores this task before it can end
        try
        {
            using var response = await http.GetAsync(new Uri("api/auth/token", UriKind.Relative));
            if (!response.IsSuccessStatusCode)
            {
                return; // signed out: the socket keeps trying, and a reload goes to the sign-in page
            }

            using var body = await response.Content.ReadFromJsonAsync(RoomJson.Default.JsonDocument);
            token = body!.RootElement.GetProperty("token").GetString()!;
            await socket.DisconnectAsync();
            await socket.ConnectAsync();
            Connect();
        }
        catch (Exception e) when (e is HttpRequestException or PhoenixConnectionException)
        {
            // Offline, or the server went away meanwhile: the socket keeps trying, and the next refusal renews again.
        }
        finally
        {
            lock (gate)
            {
                renewing = null;
            }
        }
    }

    private async Task<T?> GetAsync<T>(string path, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync(type) : default;
    }

    private void Seen(IReadOnlyList<RoomEventEntry> events)
    {
        lock (gate)
        {
            foreach (var entry in events)
            {
                lastSeq = Math.Max(lastSeq ?? 0, entry.Payload.Seq);
            }
        }
    }

    // Updates reach the page one at a time; what arrives meanwhile is merged into the next, so a burst renders once.
    private void Enqueue(Action<RoomUpdate> change)
    {
        lock (gate)
        {
            pending ??= new RoomUpdate();
            change(pending);
            foreach (var roomEvent in pending.Events)
            {
                lastSeq = Math.Max(lastSeq ?? 0, roomEvent.Seq);
            }
        }

        _ = PumpAsync();
    }

    private async Task PumpAsync()
    {
        while (true)
        {
            RoomUpdate update;
            Func<RoomUpdate, Task> to;
            lock (gate)
            {
                if (pumping || deliver is null || pending is null)
                {
                    return;
                }

                (update, to, pending, pumping) = (pending, deliver, null, true);
            }

            try
            {
                await to(update);
            }
            finally
            {
                lock (gate)
                {
                    pumping = false;
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        lock (gate)
        {
            disposed = true;
            deliver = null;
        }

        presence?.Dispose();
        await socket.DisposeAsync();
    }
}

/// <summary>The browser's room links: each page its own socket, with the reader's token.</summary>
public sealed class SocketRoomLinks(Uri baseAddress, HttpClient http, TimeProvider time) : IRoomLinks
{
    public IRoomLink Open(Room room, MessageAuthor me, string? socketToken) =>
        new SocketRoomLink(room, me, socketToken ?? throw new InvalidOperationException("A room page in the browser needs the reader's socket token."), baseAddress, http, time);
}

using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Confab.Channels.Client;
using Confab.Messages;
using Confab.Rooms;

namespace Confab.Web.Chat;

/// <summary>
/// The sidebar in the browser (WebAssembly): the user channel on the Phoenix socket and the HTTP API, with the user's
/// token, as any client uses them (docs/protocol.md). A rejoin after a lost connection asks for a <see cref="UserNotice.Resync"/>:
/// what arrived meanwhile is in the counts of <c>GET /api/rooms</c>. When the token runs out, a fresh one comes from the
/// user's session and the channel joins again.
/// </summary>
public sealed class SocketUserLink : IUserLink
{
    private const int UsersListed = 8;

    private readonly MessageAuthor me;
    private readonly HttpClient http;
    private readonly PhoenixSocket socket;
    private readonly System.Threading.Channels.Channel<UserNotice> notices = System.Threading.Channels.Channel.CreateUnbounded<UserNotice>();
    private string token;
    private PhoenixChannel? channel;
    private bool joinedOnce;
    private bool disposed;
    private Task? renewing;

    public SocketUserLink(MessageAuthor me, string token, Uri baseAddress, HttpClient http)
    {
        this.me = me;
        this.token = token;
        this.http = http;
        socket = new PhoenixSocket(new Uri(baseAddress, "socket"), () => new Dictionary<string, string> { ["token"] = this.token });
    }

    public async Task<IReadOnlyList<RoomListing>> ListRoomsAsync() =>
        await SendAsync(HttpMethod.Get, "api/rooms", null, RoomJson.Default.IReadOnlyListRoomListing) ?? [];

    public async Task<IReadOnlyList<MessageAuthor>> FindUsersAsync(string prefix) =>
        (await SendAsync(HttpMethod.Get, $"api/users?q={Uri.EscapeDataString(prefix)}&limit={UsersListed}", null, RoomJson.Default.UserList))?.Users ?? [];

    public async Task<(string? Slug, string? Error)> OpenDirectAsync(string username)
    {
        using var request = Request(HttpMethod.Post, "api/dms");
        request.Content = JsonContent.Create(new DirectRequest(username), RoomJson.Default.DirectRequest);
        using var response = await http.SendAsync(request);
        if (response.IsSuccessStatusCode)
        {
            using var room = await response.Content.ReadFromJsonAsync(RoomJson.Default.JsonDocument);
            return (room!.RootElement.GetProperty("slug").GetString(), null);
        }

        using var problem = await response.Content.ReadFromJsonAsync(RoomJson.Default.JsonDocument);
        return (null, ProblemText(problem!.RootElement, response.StatusCode));
    }

    // A problem's first field error, or its detail.
    private static string ProblemText(JsonElement problem, HttpStatusCode status)
    {
        if (problem.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object)
        {
            foreach (var field in errors.EnumerateObject())
            {
                return RefusalText.Sentence(field.Value[0].GetString() ?? "");
            }
        }

        return problem.TryGetProperty("detail", out var detail) && detail.GetString() is { } text ? text : $"Refused ({(int)status}).";
    }

    public Task StartAsync(Func<UserNotice, Task> deliver)
    {
        Join();
        _ = PumpAsync(deliver);
        return Task.CompletedTask;
    }

    private async Task PumpAsync(Func<UserNotice, Task> deliver)
    {
        await foreach (var notice in notices.Reader.ReadAllAsync())
        {
            await deliver(notice);
        }
    }

    // The user channel, once; a new one after the server closed the last (its token ran out).
    private void Join()
    {
        if (disposed || channel is { State: not PhoenixChannelState.Closed })
        {
            return;
        }

        channel = socket.Channel(UserTopic, (Action<Utf8JsonWriter>?)null);
        channel.JoinReplied += reply =>
        {
            if (reply.IsOk)
            {
                // A rejoin: what came meanwhile is in the counts.
                if (joinedOnce)
                {
                    notices.Writer.TryWrite(UserNotice.Resynced);
                }

                joinedOnce = true;
            }
            else if (reply.Reason == "unauthorized")
            {
                _ = RenewAsync();
            }
        };
        foreach (var name in UserNotice.Names)
        {
            channel.On(name, payload => notices.Writer.TryWrite(UserNotice.Read(name, payload)));
        }

        channel.On(RoomEvents.TokenExpiredEvent, expired => RenewAsync());
        _ = socket.ConnectAsync();
        _ = channel.JoinAsync();
    }

    private string UserTopic => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"user:{me.Id}");

    // One renewal at a time: a fresh token from the user's session, then the socket and the channel again.
    private Task RenewAsync() => renewing ??= RenewOnceAsync();

    private async Task RenewOnceAsync()
    {
        await Task.Yield();
        try
        {
            using var response = await http.GetAsync(new Uri("api/auth/token", UriKind.Relative));
            if (response.IsSuccessStatusCode)
            {
                using var body = await response.Content.ReadFromJsonAsync(RoomJson.Default.JsonDocument);
                token = body!.RootElement.GetProperty("token").GetString()!;
                await socket.DisconnectAsync();
                await socket.ConnectAsync();
                Join();
            }
        }
        catch (Exception e) when (e is HttpRequestException or PhoenixConnectionException)
        {
            // Offline, or the server went away: the socket keeps trying, and the next refusal renews again.
        }
        finally
        {
            renewing = null;
        }
    }

    private HttpRequestMessage Request(HttpMethod method, string path)
    {
        var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private async Task<T?> SendAsync<T>(HttpMethod method, string path, HttpContent? content, JsonTypeInfo<T> type)
    {
        using var request = Request(method, path);
        request.Content = content;
        using var response = await http.SendAsync(request);
        return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync(type) : default;
    }

    public async ValueTask DisposeAsync()
    {
        disposed = true;
        notices.Writer.TryComplete();
        await socket.DisposeAsync();
    }
}

/// <summary>The browser's sidebar link, with the user's token.</summary>
public sealed class SocketUserLinks(Uri baseAddress, HttpClient http) : IUserLinks
{
    public IUserLink Open(MessageAuthor me, string? socketToken) =>
        new SocketUserLink(me, socketToken ?? throw new InvalidOperationException("A sidebar in the browser needs the user's socket token."), baseAddress, http);
}

/// <summary><c>POST /api/dms</c>.</summary>
public sealed record DirectRequest(string Username);

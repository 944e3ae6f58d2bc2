using System.Text.Json;
using System.Text.Json.Serialization;
using Confab.Channels.Client;
using Confab.Tests.Infrastructure;

namespace Confab.Tests.Client;

/// <summary>What the client tests share: a socket for a user, an inbox for events, waiting for a condition.</summary>
internal static class ClientKit
{
    /// <summary>A client socket for Confab at <paramref name="server"/>, with the token as the <c>token</c> param.</summary>
    public static PhoenixSocket Socket(Uri server, string token, PhoenixSocketOptions? options = null) =>
        new(new Uri($"ws://{server.Authority}/socket"), () => new Dictionary<string, string> { ["token"] = token }, options);

    /// <summary>A <c>new_message</c> payload, <c>{"content": "..."}</c>.</summary>
    public static Action<Utf8JsonWriter> Content(string content) => writer =>
    {
        writer.WriteStartObject();
        writer.WriteString("content", content);
        writer.WriteEndObject();
    };

    /// <summary>Waits until <paramref name="condition"/> holds (checked every 10 ms), or fails saying what did not happen.</summary>
    public static async Task Eventually(Func<bool> condition, string what, double seconds = Timeouts.DefaultSeconds)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting for {what}");
            await Task.Delay(10);
        }
    }

    /// <summary>The user id behind a client's token.</summary>
    public static async Task<long> UserIdAsync(HttpClient client) => (await client.GetJsonAsync("/api/auth/me")).GetProperty("id").GetInt64();
}

/// <summary>Collects what an event hands over; <see cref="NextAsync"/> awaits the next one, with a timeout.</summary>
internal sealed class Inbox<T>
{
    private readonly System.Threading.Channels.Channel<T> _items = System.Threading.Channels.Channel.CreateUnbounded<T>();

    public void Add(T item) => _items.Writer.TryWrite(item);

    public Task<T> NextAsync(double seconds = 10) => _items.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(seconds));

    public bool TryTake(out T item) => _items.Reader.TryRead(out item!);
}

/// <summary>A typed payload and reply, through source-generated metadata as a trimmed or AOT app would use them.</summary>
internal sealed record NewMessage(string Content, string? ClientId = null);

internal sealed record MessageAck(long MessageId, long Seq);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(NewMessage))]
[JsonSerializable(typeof(MessageAck))]
internal sealed partial class ClientTestJson : JsonSerializerContext;

/// <summary>A new user with a connected client socket and a (not yet joined) channel for <c>room:general</c>.</summary>
internal sealed class Member : IAsyncDisposable
{
    private Member(HttpClient api, PhoenixSocket socket)
    {
        Api = api;
        Socket = socket;
        Room = socket.Channel("room:general");
    }

    public HttpClient Api { get; }

    public PhoenixSocket Socket { get; }

    public PhoenixChannel Room { get; }

    public static async Task<Member> ConnectAsync(ConfabFactory app, Uri server, string username)
    {
        var api = await app.ClientForNewUserAsync(username);
        var member = new Member(api, ClientKit.Socket(server, ConfabFactory.TokenOf(api)));
        await member.Socket.ConnectAsync().Within();
        return member;
    }

    /// <summary>Joins the room and asserts the join was ok.</summary>
    public async Task JoinAsync()
    {
        var reply = await Room.JoinAsync().Within();
        Assert.True(reply.IsOk, reply.ToString());
    }

    public ValueTask DisposeAsync() => Socket.DisposeAsync();
}

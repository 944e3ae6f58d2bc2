using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace Confab.Tests.Infrastructure;

/// <summary>
/// A raw Phoenix V2 client over <see cref="ClientWebSocket"/> for Confab's socket. A background pump queues every
/// frame it receives (waiting with a timeout never cancels a receive, which would abort the socket); the close arrives
/// as a frame with <see cref="Received.IsClose"/>.
/// </summary>
public sealed class SocketClient : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly ClientWebSocket socket;
    private readonly Channel<Received> frames = System.Threading.Channels.Channel.CreateUnbounded<Received>();
    private readonly Task pump;
    private int nextRef;

    private SocketClient(ClientWebSocket socket)
    {
        this.socket = socket;
        pump = Task.Run(PumpAsync);
    }

    public WebSocketState State => socket.State;

    /// <summary><c>ws://host/socket/websocket?token=…&amp;vsn=2.0.0</c>, plus <paramref name="moreParams"/> (<c>"a=1&amp;b=2"</c>).</summary>
    public static Uri SocketUri(Uri address, string token, string moreParams = "") =>
        new($"ws://{address.Authority}/socket/websocket?token={Uri.EscapeDataString(token)}&vsn=2.0.0{(moreParams.Length > 0 ? "&" + moreParams : "")}");

    public static async Task<SocketClient> ConnectAsync(Uri address, string token, Action<ClientWebSocketOptions>? configure = null, string moreParams = "")
    {
        var socket = new ClientWebSocket();
        configure?.Invoke(socket.Options);
        using var timeout = new CancellationTokenSource(Timeout);
        await socket.ConnectAsync(SocketUri(address, token, moreParams), timeout.Token);
        return new SocketClient(socket);
    }

    public string NextRef() => Interlocked.Increment(ref nextRef).ToString(System.Globalization.CultureInfo.InvariantCulture);

    public Task SendAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text);

    public async Task SendAsync(byte[] bytes, WebSocketMessageType type)
    {
        using var timeout = new CancellationTokenSource(Timeout);
        await socket.SendAsync(bytes, type, endOfMessage: true, timeout.Token);
    }

    /// <summary>Sends <c>[joinRef, ref, topic, event, payload]</c> and returns its ref.</summary>
    public async Task<string> PushAsync(string topic, string @event, string payload = "{}", string? joinRef = null)
    {
        var @ref = NextRef();
        await SendAsync($"[{Quote(joinRef)},\"{@ref}\",\"{topic}\",\"{@event}\",{payload}]");
        return @ref;
    }

    /// <summary>Joins and returns the reply's <c>{status, response}</c>.</summary>
    public async Task<JsonElement> JoinAsync(string topic, string payload = "{}")
    {
        var @ref = NextRef();
        await SendAsync($"[\"{@ref}\",\"{@ref}\",\"{topic}\",\"phx_join\",{payload}]");
        return (await ReplyAsync(@ref))[4];
    }

    /// <summary>Pushes and returns the reply's <c>{status, response}</c>.</summary>
    public async Task<JsonElement> RequestAsync(string topic, string @event, string payload) => (await ReplyAsync(await PushAsync(topic, @event, payload)))[4];

    /// <summary>The next frame (text frames parsed), or the close.</summary>
    public async Task<Received> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Timeout);
        try
        {
            return await frames.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No frame within {timeout ?? Timeout}.");
        }
    }

    /// <summary>Skips frames until one matches; fails on a close that does not.</summary>
    public async Task<JsonElement> ReceiveMessageAsync(Func<JsonElement, bool> match, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? Timeout);
        while (true)
        {
            var frame = await ReceiveAsync(timeout);
            Assert.False(frame.IsClose, $"the socket closed ({frame.CloseStatus} {frame.CloseDescription}) while waiting");
            if (frame.Message is { } message && match(message))
            {
                return message;
            }

            Assert.False(cts.IsCancellationRequested, "no matching frame in time");
        }
    }

    public Task<JsonElement> ReplyAsync(string @ref) =>
        ReceiveMessageAsync(m => m[3].GetString() == "phx_reply" && m[1].ValueKind == JsonValueKind.String && m[1].GetString() == @ref);

    public async ValueTask DisposeAsync()
    {
        if (socket.State == WebSocketState.Open)
        {
            using var timeout = new CancellationTokenSource(Timeout);
            try
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
            }
            catch (WebSocketException e)
            {
                // The server dropped the connection already; there is nothing left to close.
                Assert.NotNull(e);
            }
        }

        await pump.WaitAsync(Timeout).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        socket.Dispose();
    }

    private static string Quote(string? value) => value is null ? "null" : $"\"{value}\"";

    private async Task PumpAsync()
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                using var message = new MemoryStream();
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
                    message.Write(buffer, 0, result.Count);
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    frames.Writer.TryWrite(new Received(null, true, socket.CloseStatus, socket.CloseStatusDescription));
                    if (socket.State == WebSocketState.CloseReceived)
                    {
                        using var timeout = new CancellationTokenSource(Timeout);
                        await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
                    }

                    return;
                }

                var parsed = result.MessageType == WebSocketMessageType.Text ? JsonDocument.Parse(message.ToArray()).RootElement.Clone() : (JsonElement?)null;
                frames.Writer.TryWrite(new Received(parsed, false, null, null));
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The connection was lost: report it as a close without status.
            frames.Writer.TryWrite(new Received(null, true, null, e.Message));
        }
        finally
        {
            frames.Writer.TryComplete();
        }
    }
}

/// <summary>A received frame: a V2 message array (<see cref="Message"/>), a binary frame (neither), or the close.</summary>
public sealed record Received(JsonElement? Message, bool IsClose, WebSocketCloseStatus? CloseStatus, string? CloseDescription);

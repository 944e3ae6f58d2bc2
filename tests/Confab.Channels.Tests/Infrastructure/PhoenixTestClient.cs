using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;

namespace Confab.Channels.Tests.Infrastructure;

/// <summary>One received WebSocket message, or the close (or loss) of the connection.</summary>
public sealed record Frame(WebSocketMessageType Type, byte[] Data, WebSocketCloseStatus? CloseStatus = null, string? CloseDescription = null, Exception? Error = null)
{
    public string Text => Encoding.UTF8.GetString(Data);

    public bool IsClose => Type == WebSocketMessageType.Close;
}

/// <summary>A V2 message <c>[join_ref, ref, topic, event, payload]</c> as received.</summary>
public sealed record Message(string? JoinRef, string? Ref, string Topic, string Event, JsonElement Payload, string Raw)
{
    public string? Status => Payload.TryGetProperty("status", out var status) ? status.GetString() : null;

    public JsonElement Response => Payload.GetProperty("response");

    /// <summary>Reads a V2 frame with the client library's parser (a 5-element array, refs strings or null), keeping the raw text.</summary>
    public static Message Parse(string raw)
    {
        var message = Confab.Channels.Client.PhoenixMessage.Parse(Encoding.UTF8.GetBytes(raw));
        return new Message(message.JoinRef, message.Ref, message.Topic, message.Event, message.Payload, raw);
    }
}

/// <summary>
/// A raw Phoenix client over <see cref="ClientWebSocket"/>. A background pump receives every frame into a queue
/// (so waiting with a timeout never cancels a WebSocket receive, which would abort the socket), and answers the
/// server's close frame. With <c>receive: false</c> nothing is read until <see cref="StartReceiving"/>.
/// </summary>
public sealed class PhoenixTestClient : IAsyncDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(5);

    private readonly ClientWebSocket _socket;
    private readonly Channel<Frame> _frames = System.Threading.Channels.Channel.CreateUnbounded<Frame>();
    private Task? _pump;
    private TaskCompletionSource? _paused;

    private PhoenixTestClient(ClientWebSocket socket)
    {
        _socket = socket;
    }

    public ClientWebSocket Socket => _socket;

    public static async Task<PhoenixTestClient> ConnectAsync(Uri uri, bool receive = true, Action<ClientWebSocketOptions>? configure = null)
    {
        var socket = new ClientWebSocket();
        configure?.Invoke(socket.Options);
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        await socket.ConnectAsync(uri, timeout.Token);
        var client = new PhoenixTestClient(socket);
        if (receive)
        {
            client.StartReceiving();
        }

        return client;
    }

    public void StartReceiving() => _pump ??= Task.Run(PumpAsync);

    /// <summary>Stops reading from the socket (after the message being read), so the server's sends back up.</summary>
    public void Pause() => Volatile.Write(ref _paused, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    public void Resume() => Interlocked.Exchange(ref _paused, null)?.TrySetResult();

    public Task SendAsync(string json) => SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text);

    public Task SendBinaryAsync(byte[] bytes) => SendAsync(bytes, WebSocketMessageType.Binary);

    public async Task SendAsync(byte[] bytes, WebSocketMessageType type)
    {
        using var timeout = new CancellationTokenSource(DefaultTimeout);
        await _socket.SendAsync(bytes, type, endOfMessage: true, timeout.Token);
    }

    public async Task<Frame> ReceiveFrameAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            return await _frames.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No frame within {timeout ?? DefaultTimeout}.");
        }
    }

    public async Task<Message> ReceiveAsync(TimeSpan? timeout = null)
    {
        Frame frame = await ReceiveFrameAsync(timeout);
        Assert.True(frame.Type == WebSocketMessageType.Text, $"expected a text frame, got {frame.Type} {frame.CloseStatus} {frame.Error}");
        return Message.Parse(frame.Text);
    }

    public async Task<byte[]> ReceiveBinaryAsync(TimeSpan? timeout = null)
    {
        Frame frame = await ReceiveFrameAsync(timeout);
        Assert.True(frame.Type == WebSocketMessageType.Binary, $"expected a binary frame, got {frame.Type} {frame.Text}");
        return frame.Data;
    }

    /// <summary>Receives until the close frame (or the connection's loss), returning it.</summary>
    public async Task<Frame> ReceiveCloseAsync(TimeSpan? timeout = null)
    {
        while (true)
        {
            Frame frame = await ReceiveFrameAsync(timeout);
            if (frame.IsClose)
            {
                return frame;
            }
        }
    }

    /// <summary>Asserts that nothing arrives within <paramref name="within"/>.</summary>
    public async Task ExpectNothingAsync(TimeSpan? within = null)
    {
        using var cts = new CancellationTokenSource(within ?? TimeSpan.FromMilliseconds(300));
        try
        {
            Frame frame = await _frames.Reader.ReadAsync(cts.Token);
            Assert.Fail($"expected no frame, got {frame.Type}: {frame.Text}");
        }
        catch (OperationCanceledException)
        {
            // Nothing arrived: the expected outcome.
            Assert.True(cts.IsCancellationRequested);
        }
    }

    /// <summary>Joins and returns the join reply.</summary>
    public async Task<Message> JoinAsync(string topic, string joinRef, string payload = "{}")
    {
        await SendAsync($"[\"{joinRef}\",\"{joinRef}\",\"{topic}\",\"phx_join\",{payload}]");
        Message reply = await ReceiveAsync();
        Assert.Equal("phx_reply", reply.Event);
        Assert.Equal(joinRef, reply.Ref);
        return reply;
    }

    public async Task<Message> JoinOkAsync(string topic, string joinRef, string payload = "{}")
    {
        Message reply = await JoinAsync(topic, joinRef, payload);
        Assert.Equal("ok", reply.Status);
        return reply;
    }

    /// <summary>Sends a heartbeat and asserts the exact reply.</summary>
    public async Task HeartbeatAsync(string @ref)
    {
        await SendAsync($"[null,\"{@ref}\",\"phoenix\",\"heartbeat\",{{}}]");
        Message reply = await ReceiveAsync();
        Assert.Equal($"[null,\"{@ref}\",\"phoenix\",\"phx_reply\",{{\"status\":\"ok\",\"response\":{{}}}}]", reply.Raw);
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            using var timeout = new CancellationTokenSource(DefaultTimeout);
            try
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
            }
            catch (WebSocketException ex)
            {
                // The server may have dropped the connection already; there is nothing left to close.
                Assert.NotNull(ex);
            }
        }

        if (_pump is not null)
        {
            await _pump.WaitAsync(DefaultTimeout).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _socket.Dispose();
    }

    private async Task AnswerCloseAsync()
    {
        if (_socket.State != WebSocketState.CloseReceived)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(DefaultTimeout);
        try
        {
            await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
        }
        catch (WebSocketException ex)
        {
            // The server may close the TCP connection right after its close frame; the close was already recorded.
            Assert.NotNull(ex);
        }
    }

    private async Task PumpAsync()
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                if (Volatile.Read(ref _paused) is { } paused)
                {
                    await paused.Task;
                }

                using var message = new MemoryStream();
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
                    message.Write(buffer, 0, result.Count);
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    _frames.Writer.TryWrite(new Frame(WebSocketMessageType.Close, [], _socket.CloseStatus, _socket.CloseStatusDescription));
                    await AnswerCloseAsync();
                    return;
                }

                _frames.Writer.TryWrite(new Frame(result.MessageType, message.ToArray()));
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The connection was lost (aborted by the server, or disposed): report it as a close without status.
            _frames.Writer.TryWrite(new Frame(WebSocketMessageType.Close, [], null, null, ex));
        }
        finally
        {
            _frames.Writer.TryComplete();
        }
    }
}

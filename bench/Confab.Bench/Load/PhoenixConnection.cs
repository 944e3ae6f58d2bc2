using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Confab.Bench.Load;

/// <summary>
/// A minimal Phoenix Channels V2 JSON client for load: one socket, joins, pushes, and a receive loop that hands each
/// frame's event and payload to a callback. Heartbeats every 30 s like phoenix.js.
/// </summary>
public sealed class PhoenixConnection : IAsyncDisposable
{
    private readonly ClientWebSocket socket = new();
    private readonly SemaphoreSlim sendLock = new(1, 1);
    private readonly CancellationTokenSource stop = new();
    private readonly Dictionary<string, TaskCompletionSource<JsonElement>> pendingReplies = [];
    private long nextRef;
    private Task? receiver;
    private Task? heartbeat;

    /// <summary>Called on the receive loop for every pushed or broadcast frame: (topic, event, payload).</summary>
    public Action<string, string, JsonElement>? OnMessage { get; set; }

    public static async Task<PhoenixConnection> ConnectAsync(Uri socketUrl, string token, CancellationToken cancellationToken)
    {
        var connection = new PhoenixConnection();
        connection.socket.Options.KeepAliveInterval = TimeSpan.Zero;
        var uri = new Uri($"{socketUrl.ToString().TrimEnd('/')}/websocket?token={Uri.EscapeDataString(token)}&vsn=2.0.0");
        await connection.socket.ConnectAsync(uri, cancellationToken);
        connection.receiver = Task.Run(connection.ReceiveAsync, CancellationToken.None);
        connection.heartbeat = Task.Run(connection.HeartbeatAsync, CancellationToken.None);
        return connection;
    }

    /// <summary>Joins and returns the reply's response; throws when the join is refused.</summary>
    public async Task<JsonElement> JoinAsync(string topic, TimeSpan timeout)
    {
        var (status, response) = await RequestAsync(topic, "phx_join", "{}", isJoin: true, timeout);
        return status == "ok" ? response : throw new InvalidOperationException($"join {topic} refused: {response}");
    }

    /// <summary>Pushes an event and waits for its reply: (status, response).</summary>
    public Task<(string Status, JsonElement Response)> PushAsync(string topic, string @event, string payloadJson, TimeSpan timeout) =>
        RequestAsync(topic, @event, payloadJson, isJoin: false, timeout);

    private string? joinRef;

    private async Task<(string, JsonElement)> RequestAsync(string topic, string @event, string payloadJson, bool isJoin, TimeSpan timeout)
    {
        var reference = Interlocked.Increment(ref nextRef).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (isJoin)
        {
            joinRef = reference;
        }

        var reply = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (pendingReplies)
        {
            pendingReplies[reference] = reply;
        }

        await SendAsync($"[{Quote(joinRef)},\"{reference}\",{JsonSerializer.Serialize(topic)},{JsonSerializer.Serialize(@event)},{payloadJson}]");
        var payload = await reply.Task.WaitAsync(timeout);
        return (payload.GetProperty("status").GetString()!, payload.GetProperty("response"));
    }

    private static string Quote(string? value) => value is null ? "null" : $"\"{value}\"";

    private async Task SendAsync(string frame)
    {
        var bytes = Encoding.UTF8.GetBytes(frame);
        await sendLock.WaitAsync(stop.Token);
        try
        {
            await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, stop.Token);
        }
        finally
        {
            sendLock.Release();
        }
    }

    private async Task HeartbeatAsync()
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(30), stop.Token);
                var reference = Interlocked.Increment(ref nextRef).ToString(System.Globalization.CultureInfo.InvariantCulture);
                await SendAsync($"[null,\"{reference}\",\"phoenix\",\"heartbeat\",{{}}]");
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            // The connection is closing.
        }
    }

    private async Task ReceiveAsync()
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                buffer.ResetWrittenCount();
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer.GetMemory(4096), stop.Token);
                    buffer.Advance(result.Count);
                }
                while (!result.EndOfMessage && result.MessageType != WebSocketMessageType.Close);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                Dispatch(buffer.WrittenSpan);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            // Closed.
        }
    }

    private void Dispatch(ReadOnlySpan<byte> frame)
    {
        using var document = JsonDocument.Parse(frame.ToArray());
        var root = document.RootElement;
        var @event = root[3].GetString()!;
        if (@event == "phx_reply")
        {
            var reference = root[1].GetString()!;
            TaskCompletionSource<JsonElement>? reply;
            lock (pendingReplies)
            {
                pendingReplies.Remove(reference, out reply);
            }

            reply?.TrySetResult(root[4].Clone());
            return;
        }

        OnMessage?.Invoke(root[2].GetString()!, @event, root[4]);
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        try
        {
            if (socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
            // The server went first.
        }

        socket.Dispose();
        if (receiver is not null)
        {
            await receiver.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (heartbeat is not null)
        {
            await heartbeat.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        stop.Dispose();
        sendLock.Dispose();
    }
}

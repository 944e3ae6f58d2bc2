using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Confab.Tests.Infrastructure;

/// <summary>A raw Phoenix V2 JSON client over a real WebSocket: send frames, await the reply to a ref.</summary>
public sealed class PhoenixClient : IAsyncDisposable
{
    private readonly ClientWebSocket socket = new();
    private readonly Dictionary<string, string> joinRefs = [];
    private int nextRef;

    public static async Task<PhoenixClient> ConnectAsync(Uri server, string token)
    {
        var client = new PhoenixClient();
        var uri = new Uri($"ws://{server.Authority}/socket/websocket?token={Uri.EscapeDataString(token)}&vsn=2.0.0");
        await client.socket.ConnectAsync(uri, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
        return client;
    }

    /// <summary>
    /// Sends <c>[joinRef, ref, topic, event, payload]</c> (a join starts a new join ref; other events carry the topic's)
    /// and returns the reply's <c>{status, response}</c>.
    /// </summary>
    public async Task<JsonElement> RequestAsync(string topic, string @event, object payload)
    {
        var reference = (++nextRef).ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (@event == "phx_join")
        {
            joinRefs[topic] = reference;
        }

        var joinRef = joinRefs.GetValueOrDefault(topic);
        var frame = JsonSerializer.Serialize(new object?[] { joinRef, reference, topic, @event, payload });
        await socket.SendAsync(Encoding.UTF8.GetBytes(frame), WebSocketMessageType.Text, true, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
        while (true)
        {
            var message = await ReceiveAsync();
            if (message[3].GetString() == "phx_reply" && message[1].GetString() == reference)
            {
                return message[4];
            }
        }
    }

    public async Task<JsonElement> ReceiveAsync()
    {
        var buffer = new byte[256 * 1024];
        var length = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
            length += result.Count;
        }
        while (!result.EndOfMessage);

        using var document = JsonDocument.Parse(buffer.AsMemory(0, length));
        return document.RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        if (socket.State == WebSocketState.Open)
        {
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
        }

        socket.Dispose();
    }
}

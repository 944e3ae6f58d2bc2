using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Confab.Channels.Internal;

/// <summary>
/// The WebSocket handshake of a socket served straight from its connection (<see cref="SocketConnectionHandler"/>):
/// accepting writes the 101 answer to the transport and runs the WebSocket over a <see cref="TransportStream"/>.
/// </summary>
internal sealed class ConnectionWebSocketFeature(IDuplexPipe transport, Socket? socket, string key, IHeaderDictionary responseHeaders) : IHttpWebSocketFeature
{
    private const string Rfc6455Guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    public bool IsWebSocketRequest => true;

    /// <summary>The stream under the accepted WebSocket.</summary>
    public HoldingStream? Stream { get; private set; }

    /// <summary>Frames are sent on Kestrel's socket itself, not through the transport's output pipe.</summary>
    public bool WritesToSocket => socket is not null;

    public async Task<WebSocket> AcceptAsync(WebSocketAcceptContext context)
    {
        var answer = new StringBuilder("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: ")
            .Append(AcceptKey(key)).Append("\r\n");
        if (context.SubProtocol is { } subProtocol)
        {
            answer.Append("Sec-WebSocket-Protocol: ").Append(subProtocol).Append("\r\n");
        }

        foreach (var (name, values) in responseHeaders)
        {
            foreach (string? value in values)
            {
                answer.Append(name).Append(": ").Append(value).Append("\r\n");
            }
        }

        answer.Append("\r\n");
        var stream = new TransportStream(transport, socket);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(answer.ToString()));
        Stream = stream.WritesToSocket ? new BatchingStream(stream) : stream;
        return WebSocket.CreateFromStream(Stream, new WebSocketCreationOptions
        {
            IsServer = true,
            SubProtocol = context.SubProtocol,
            KeepAliveInterval = context.KeepAliveInterval ?? WebSocket.DefaultKeepAliveInterval,
        });
    }

    /// <summary><c>Sec-WebSocket-Accept</c>: base64(SHA-1(key + the RFC 6455 GUID)).</summary>
#pragma warning disable CA5350 // RFC 6455 prescribes SHA-1 here; it is a handshake check, not security.
    internal static string AcceptKey(string key) => Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + Rfc6455Guid)));
#pragma warning restore CA5350
}

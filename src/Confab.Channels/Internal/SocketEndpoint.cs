using System.Net.WebSockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;

namespace Confab.Channels.Internal;

/// <summary>
/// <c>GET {path}/websocket</c>: checks the request, the protocol version and the authToken subprotocol, runs the
/// application's <see cref="PhoenixSocket.ConnectAsync"/> before the upgrade, then accepts and runs the socket.
/// Refusals are plain HTTP answers with empty bodies, as Phoenix: 400 (not a WebSocket GET), 403 (origin not allowed,
/// bad vsn, bad token encoding, refused connect), 503 (shutting down); a connect refused with a status and a reason
/// (<see cref="ConnectResult.Refuse(int, string)"/>) answers with those.
/// </summary>
internal sealed class SocketEndpoint(string path, PhoenixSocket socket, ChannelRouter router, ChannelsRuntime runtime)
{
    private const string PhoenixSubprotocol = "phoenix";
    private const string AuthTokenPrefix = "base64url.bearer.phx.";
    private const string VersionParam = "vsn";

    private static readonly UTF8Encoding s_strictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The request path, <c>{socket path}/websocket</c>.</summary>
    public string Path { get; } = path;

    /// <summary>Serves a request that reached the socket through the middleware pipeline.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        if (await AcceptAsync(context) is { } connection)
        {
            await RunAsync(connection);
        }
    }

    /// <summary>
    /// Checks the request and connects: the accepted socket, ready to run, or null with the refusal's status code set
    /// on the response.
    /// </summary>
    public async Task<SocketConnection?> AcceptAsync(HttpContext context)
    {
        string method = context.Request.Method;
        if (!(HttpMethods.IsGet(method) || HttpMethods.IsConnect(method)) || !context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return null;
        }

        string connectionId = context.TraceIdentifier;
        if (!runtime.Origins.IsAllowed(context.Request, out string? origin))
        {
            ChannelsLog.OriginRefused(runtime.SocketLogger, connectionId, origin);
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return null;
        }

        FrameSerializer? serializer = SelectSerializer(context.Request.Query[VersionParam]);
        if (serializer is null)
        {
            ChannelsLog.UnsupportedVersion(runtime.SocketLogger, connectionId);
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return null;
        }

        if (!TryReadSubprotocols(context.WebSockets.WebSocketRequestedProtocols, out string? authToken, out bool offeredPhoenix))
        {
            ChannelsLog.InvalidAuthToken(runtime.SocketLogger, connectionId);
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return null;
        }

        if (runtime.Registry.IsStopping)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return null;
        }

        IReadOnlyDictionary<string, string> parameters = ReadParams(context.Request.Query);
        ConnectResult result = await socket.ConnectAsync(new SocketConnectContext(context, parameters, authToken));
        if (!result.IsAccepted)
        {
            ChannelsLog.ConnectRefused(runtime.SocketLogger, connectionId, result.StatusCode);
            context.Response.StatusCode = result.StatusCode;
            if (result.Reason is { } reason)
            {
                byte[] body = Encoding.UTF8.GetBytes(reason);
                context.Response.ContentType = "text/plain; charset=utf-8";
                context.Response.ContentLength = body.Length;
                await context.Response.Body.WriteAsync(body);
            }

            return null;
        }

        var socketContext = new SocketContext(connectionId, result.SocketId, result.Assigns, parameters);
        WebSocket webSocket;
        try
        {
            webSocket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
            {
                // phoenix.js (and browsers) fail the handshake unless the server selects a subprotocol they offered.
                SubProtocol = offeredPhoenix ? PhoenixSubprotocol : null,
                DangerousEnableCompression = false,

                // No WebSocket-level keep-alive frames (and no timer per socket for them): Phoenix clients heartbeat, and a
                // socket that stays silent past ChannelOptions.IdleTimeout is closed.
                KeepAliveInterval = TimeSpan.Zero,
            });
        }
        catch
        {
            socket.Disconnected(socketContext);
            throw;
        }

        var fromConnection = context.Features.Get<IHttpWebSocketFeature>() as ConnectionWebSocketFeature;
        HoldingStream? stream = fromConnection?.Stream ?? (context.Features.Get<IHttpUpgradeFeature>() as BatchingUpgradeFeature)?.Stream;
        ChannelsLog.SocketConnected(
            runtime.SocketLogger,
            connectionId,
            serializer == V1Serializer.Instance ? 1 : 2,
            fromConnection is null ? "request" : fromConnection.WritesToSocket ? "connection, writing to its socket" : "connection");
        return new SocketConnection(
            webSocket,
            stream,
            serializer,
            socketContext,
            router,
            context.RequestServices,
            runtime);
    }

    /// <summary>Runs an accepted socket until it closes, then disposes its WebSocket.</summary>
    public async Task RunAsync(SocketConnection connection)
    {
        if (!runtime.Registry.TryRegister(connection))
        {
            connection.RequestClose(WebSocketCloseStatus.EndpointUnavailable, "server shutting down", discardPending: false, ChannelTerminateReason.ServerShutdown);
        }

        try
        {
            await connection.RunAsync();
        }
        finally
        {
            runtime.Registry.Unregister(connection);
            connection.DisposeWebSocket();
            socket.Disconnected(connection.Socket);
        }
    }

    /// <summary><c>vsn</c> 2.x selects V2, 1.x or no vsn V1 (as Phoenix); anything else is refused.</summary>
    internal static FrameSerializer? SelectSerializer(StringValues vsn)
    {
        if (vsn.Count == 0)
        {
            return V1Serializer.Instance;
        }

        string version = vsn[0] ?? string.Empty;
        string[] parts = version.Split('.');
        foreach (string part in parts)
        {
            if (part.Length == 0 || !part.All(char.IsAsciiDigit))
            {
                return null;
            }
        }

        return parts[0] switch
        {
            "1" => V1Serializer.Instance,
            "2" => V2Serializer.Instance,
            _ => null,
        };
    }

    /// <summary>
    /// Finds <c>phoenix</c> and <c>base64url.bearer.phx.&lt;token&gt;</c> among the offered subprotocols. The token is
    /// standard base64 (the client uses <c>btoa</c>) without padding; false when it cannot be decoded.
    /// </summary>
    internal static bool TryReadSubprotocols(IList<string> offered, out string? authToken, out bool offeredPhoenix)
    {
        authToken = null;
        offeredPhoenix = false;
        foreach (string protocol in offered)
        {
            if (protocol == PhoenixSubprotocol)
            {
                offeredPhoenix = true;
            }
            else if (protocol.StartsWith(AuthTokenPrefix, StringComparison.Ordinal))
            {
                if (!TryDecodeToken(protocol.AsSpan(AuthTokenPrefix.Length), out authToken))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static bool TryDecodeToken(ReadOnlySpan<char> encoded, out string? token)
    {
        token = null;
        if (encoded.Length % 4 == 1)
        {
            return false;
        }

        int padding = (4 - (encoded.Length % 4)) % 4;
        Span<char> padded = stackalloc char[encoded.Length + padding];
        encoded.CopyTo(padded);
        padded[encoded.Length..].Fill('=');
        byte[] bytes = new byte[padded.Length / 4 * 3];
        if (!Convert.TryFromBase64Chars(padded, bytes, out int written))
        {
            return false;
        }

        try
        {
            token = s_strictUtf8.GetString(bytes, 0, written);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }

    private static Dictionary<string, string> ReadParams(IQueryCollection query)
    {
        var parameters = new Dictionary<string, string>(query.Count, StringComparer.Ordinal);
        foreach (var (key, values) in query)
        {
            if (key != VersionParam)
            {
                parameters[key] = values.Count > 0 ? values[0] ?? string.Empty : string.Empty;
            }
        }

        return parameters;
    }
}

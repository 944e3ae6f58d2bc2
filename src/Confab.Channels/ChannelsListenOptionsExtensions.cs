using Confab.Channels.Internal;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Confab.Channels;

/// <summary>Serves Phoenix sockets at the connection level of a Kestrel endpoint.</summary>
public static class ChannelsListenOptionsExtensions
{
    /// <summary>
    /// Serves the sockets mapped with <see cref="ChannelsEndpointRouteBuilderExtensions.UsePhoenixSocket{TSocket}"/> or
    /// <see cref="ChannelsEndpointRouteBuilderExtensions.MapPhoenixSocket{TSocket}"/> straight from this endpoint's
    /// connections: a plain HTTP/1.1 WebSocket upgrade for a socket path is checked, connected and run by the library
    /// without Kestrel's HTTP/1.1 server, which would keep its request state for the socket's lifetime (about 7 KB a
    /// socket, and a lock on every write). Everything else (other requests, HTTP/2, anything unusual or malformed about
    /// the upgrade) goes on to Kestrel unchanged, and to the mapped socket through the pipeline where it applies.
    /// </summary>
    /// <remarks>
    /// Sockets served this way do not pass through the middleware pipeline (as with <c>UsePhoenixSocket</c> called
    /// first): conventions on a mapped endpoint (<c>RequireAuthorization</c>, rate limiting, CORS) do not apply to them,
    /// so authenticate in <see cref="PhoenixSocket.ConnectAsync"/>. They are not counted in ASP.NET Core's request metrics nor Kestrel's upgraded-connection limit (its
    /// <c>MaxConcurrentConnections</c> still applies), and answer refusals with <c>Connection: close</c>. Call it on a
    /// plaintext endpoint, or after <c>UseHttps()</c>: before it the bytes are encrypted and every socket takes the
    /// pipeline.
    /// </remarks>
    /// <example>
    /// <code>
    /// builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(listen => listen.UsePhoenixSockets()));
    /// </code>
    /// </example>
    public static ListenOptions UsePhoenixSockets(this ListenOptions listenOptions)
    {
        ArgumentNullException.ThrowIfNull(listenOptions);
        listenOptions.Use(next => new SocketConnectionHandler(next, listenOptions.ApplicationServices).OnConnectionAsync);
        return listenOptions;
    }
}

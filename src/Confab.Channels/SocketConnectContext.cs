using Microsoft.AspNetCore.Http;

namespace Confab.Channels;

/// <summary>What <see cref="PhoenixSocket.ConnectAsync"/> knows about a connection attempt.</summary>
public sealed class SocketConnectContext
{
    internal SocketConnectContext(HttpContext httpContext, IReadOnlyDictionary<string, string> parameters, string? authToken)
    {
        HttpContext = httpContext;
        Params = parameters;
        AuthToken = authToken;
    }

    /// <summary>The upgrade request (headers, connection info, request services).</summary>
    public HttpContext HttpContext { get; }

    /// <summary>
    /// The connect params: the query string without <c>vsn</c>. The client's <c>new Socket(url, {params: {token: "abc"}})</c>
    /// connects to <c>/socket/websocket?token=abc&amp;vsn=2.0.0</c>, giving <c>Params["token"] == "abc"</c>. Nested
    /// objects keep their encoded keys (<c>a[b]</c>). A repeated key keeps its first value.
    /// </summary>
    public IReadOnlyDictionary<string, string> Params { get; }

    /// <summary>
    /// The token from the client's <c>authToken</c> option, decoded from the subprotocol
    /// <c>base64url.bearer.phx.&lt;base64 without padding&gt;</c>; null when the client did not send one.
    /// For <c>Sec-WebSocket-Protocol: phoenix,base64url.bearer.phx.czNjcjN0LXRva2VuPw</c> it is <c>"s3cr3t-token?"</c>.
    /// </summary>
    public string? AuthToken { get; }
}

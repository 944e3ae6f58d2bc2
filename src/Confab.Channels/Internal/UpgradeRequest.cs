using System.Buffers;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Confab.Channels.Internal;

/// <summary>What <see cref="UpgradeRequest.TryParse"/> made of the bytes so far.</summary>
internal enum UpgradeParse
{
    /// <summary>A complete, well-formed WebSocket upgrade for a mapped socket path.</summary>
    Upgrade,

    /// <summary>Could still be one: wait for more bytes.</summary>
    NeedMore,

    /// <summary>Anything else, which Kestrel's HTTP/1.1 server handles (and answers, if it is an error).</summary>
    NotOurs,
}

/// <summary>
/// The head of a WebSocket upgrade request, <c>GET {socket path}/websocket?… HTTP/1.1</c>, read straight from a
/// connection's first bytes. Only the plain, well-formed case is taken (origin-form target without escapes, HTTP/1.1,
/// visible ASCII header values, no body, the four upgrade headers right); for anything else the bytes are left to
/// Kestrel, so malformed, unusual or oversized requests get Kestrel's own answers.
/// </summary>
internal sealed class UpgradeRequest
{
    private static readonly SearchValues<byte> s_tokenBytes = SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"u8);

    private UpgradeRequest(SocketEndpoint endpoint, string path, string query, HeaderDictionary headers, string key)
    {
        Endpoint = endpoint;
        Path = path;
        QueryString = query;
        Headers = headers;
        WebSocketKey = key;
    }

    public SocketEndpoint Endpoint { get; }

    public string Path { get; }

    /// <summary>The query string with its leading <c>?</c>, or empty.</summary>
    public string QueryString { get; }

    public HeaderDictionary Headers { get; }

    public string WebSocketKey { get; }

    /// <summary>
    /// Reads a request head from <paramref name="head"/>: <see cref="UpgradeParse.Upgrade"/> with the request and the
    /// bytes it took, <see cref="UpgradeParse.NeedMore"/> while it is incomplete and under <paramref name="maxHeadBytes"/>,
    /// else <see cref="UpgradeParse.NotOurs"/>.
    /// </summary>
    public static UpgradeParse TryParse(ReadOnlySpan<byte> head, IReadOnlyList<SocketEndpoint> endpoints, int maxHeadBytes, out UpgradeRequest? request, out int consumed)
    {
        request = null;
        consumed = 0;
        int lineEnd = head.IndexOf("\r\n"u8);
        if (lineEnd < 0)
        {
            return head.Length < maxHeadBytes && "GET /"u8.StartsWith(head[..Math.Min(head.Length, 5)]) ? UpgradeParse.NeedMore : UpgradeParse.NotOurs;
        }

        if (!TryParseRequestLine(head[..lineEnd], endpoints, out SocketEndpoint? endpoint, out ReadOnlySpan<byte> path, out ReadOnlySpan<byte> query))
        {
            return UpgradeParse.NotOurs;
        }

        int headEnd = head.IndexOf("\r\n\r\n"u8);
        if (headEnd < 0)
        {
            return head.Length < maxHeadBytes ? UpgradeParse.NeedMore : UpgradeParse.NotOurs;
        }

        var headers = new HeaderDictionary();
        ReadOnlySpan<byte> lines = head[(lineEnd + 2)..(headEnd + 2)];
        while (!lines.IsEmpty)
        {
            int end = lines.IndexOf("\r\n"u8);
            if (!TryParseHeader(lines[..end], headers))
            {
                return UpgradeParse.NotOurs;
            }

            lines = lines[(end + 2)..];
        }

        if (!IsWebSocketUpgrade(headers, out string? key))
        {
            return UpgradeParse.NotOurs;
        }

        request = new UpgradeRequest(endpoint!, Encoding.ASCII.GetString(path), Encoding.ASCII.GetString(query), headers, key!);
        consumed = headEnd + 4;
        return UpgradeParse.Upgrade;
    }

    private static bool TryParseRequestLine(
        ReadOnlySpan<byte> line, IReadOnlyList<SocketEndpoint> endpoints, out SocketEndpoint? endpoint, out ReadOnlySpan<byte> path, out ReadOnlySpan<byte> query)
    {
        endpoint = null;
        path = query = default;
        if (!line.StartsWith("GET /"u8) || !line.EndsWith(" HTTP/1.1"u8))
        {
            return false;
        }

        ReadOnlySpan<byte> target = line[4..^9];
        int queryStart = target.IndexOf((byte)'?');
        path = queryStart < 0 ? target : target[..queryStart];
        query = queryStart < 0 ? default : target[queryStart..];

        // Escapes, spaces and control bytes are Kestrel's to decode or refuse.
        if (path.IndexOfAnyExceptInRange((byte)0x21, (byte)0x7E) >= 0 || path.Contains((byte)'%')
            || query.IndexOfAnyExceptInRange((byte)0x21, (byte)0x7E) >= 0)
        {
            return false;
        }

        foreach (SocketEndpoint candidate in endpoints)
        {
            if (Ascii.EqualsIgnoreCase(path, candidate.Path))
            {
                endpoint = candidate;
                return true;
            }
        }

        return false;
    }

    private static bool TryParseHeader(ReadOnlySpan<byte> line, HeaderDictionary headers)
    {
        int colon = line.IndexOf((byte)':');
        if (colon <= 0 || line[..colon].IndexOfAnyExcept(s_tokenBytes) >= 0)
        {
            return false;
        }

        ReadOnlySpan<byte> value = line[(colon + 1)..].Trim(" \t"u8);
        for (int i = 0; i < value.Length; i++)
        {
            if (value[i] is < 0x20 and not (byte)'\t' or > 0x7E)
            {
                return false;
            }
        }

        string name = Encoding.ASCII.GetString(line[..colon]);
        string text = Encoding.ASCII.GetString(value);
        headers[name] = headers.TryGetValue(name, out var existing) ? Microsoft.Extensions.Primitives.StringValues.Concat(existing, text) : text;
        return true;
    }

    /// <summary>RFC 6455 section 4.2.1, as ASP.NET Core's WebSocket middleware checks it; one Host; no request body.</summary>
    private static bool IsWebSocketUpgrade(HeaderDictionary headers, out string? key)
    {
        key = null;
        if (headers.ContainsKey("Content-Length") || headers.ContainsKey("Transfer-Encoding") || headers["Host"].Count != 1
            || !HasToken(headers["Upgrade"], "websocket") || !HasToken(headers["Connection"], "upgrade")
            || headers["Sec-WebSocket-Version"] is not { Count: 1 } version || version[0] != "13"
            || headers["Sec-WebSocket-Key"] is not { Count: 1 } keys)
        {
            return false;
        }

        Span<byte> decoded = stackalloc byte[18];
        if (!Convert.TryFromBase64String(keys[0]!, decoded, out int length) || length != 16)
        {
            return false;
        }

        key = keys[0];
        return true;
    }

    private static bool HasToken(Microsoft.Extensions.Primitives.StringValues values, string token)
    {
        foreach (string? value in values)
        {
            foreach (Range part in value.AsSpan().Split(','))
            {
                if (value.AsSpan()[part].Trim().Equals(token, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }

        return false;
    }
}

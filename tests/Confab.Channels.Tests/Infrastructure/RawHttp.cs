using System.Net.Sockets;
using System.Text;

namespace Confab.Channels.Tests.Infrastructure;

public sealed record RawResponse(int StatusCode, IReadOnlyDictionary<string, string> Headers, byte[] Body);

/// <summary>Sends one hand-written HTTP/1.1 request over TCP, to see exactly what the server answers to an upgrade.</summary>
public static class RawHttp
{
    public static string UpgradeRequest(Uri server, string method, string pathAndQuery, bool websocketHeaders = true)
    {
        var request = new StringBuilder()
            .Append($"{method} {pathAndQuery} HTTP/1.1\r\n")
            .Append($"Host: {server.Authority}\r\n");
        if (websocketHeaders)
        {
            request.Append("Connection: Upgrade\r\n")
                .Append("Upgrade: websocket\r\n")
                .Append("Sec-WebSocket-Version: 13\r\n")
                .Append("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n");
        }

        return request.Append("\r\n").ToString();
    }

    public static async Task<RawResponse> SendAsync(Uri server, string request)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port, timeout.Token);
        NetworkStream stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), timeout.Token);

        var received = new List<byte>();
        var buffer = new byte[4096];
        int headerEnd;
        while ((headerEnd = IndexOfHeaderEnd(received)) < 0)
        {
            int read = await stream.ReadAsync(buffer, timeout.Token);
            Assert.True(read > 0, "connection closed before the response headers");
            received.AddRange(buffer.AsSpan(0, read));
        }

        string head = Encoding.ASCII.GetString([.. received.Take(headerEnd)]);
        string[] lines = head.Split("\r\n");
        int status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = lines.Skip(1)
            .Select(line => line.Split(':', 2))
            .ToDictionary(parts => parts[0].Trim(), parts => parts[1].Trim(), StringComparer.OrdinalIgnoreCase);
        int length = headers.TryGetValue("Content-Length", out string? value) ? int.Parse(value, System.Globalization.CultureInfo.InvariantCulture) : 0;
        var body = received.Skip(headerEnd + 4).ToList();
        while (body.Count < length)
        {
            int read = await stream.ReadAsync(buffer, timeout.Token);
            Assert.True(read > 0, "connection closed before the response body");
            body.AddRange(buffer.AsSpan(0, read));
        }

        return new RawResponse(status, headers, [.. body]);
    }

    private static int IndexOfHeaderEnd(List<byte> bytes)
    {
        for (int i = 0; i + 3 < bytes.Count; i++)
        {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n')
            {
                return i;
            }
        }

        return -1;
    }
}

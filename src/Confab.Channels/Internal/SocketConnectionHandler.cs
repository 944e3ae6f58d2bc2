using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Confab.Channels.Internal;

/// <summary>
/// Kestrel connection middleware that serves Phoenix sockets straight from the connection. It reads the first request
/// head itself; a well-formed WebSocket upgrade for a mapped socket path is checked and connected by the same
/// <see cref="SocketEndpoint"/> as in the pipeline (through a short-lived <see cref="HttpContext"/>), answered with 101,
/// and the WebSocket then runs on the transport's own pipes. Every other connection goes on to Kestrel's HTTP server
/// with its bytes untouched.
/// </summary>
/// <remarks>
/// A WebSocket upgraded by Kestrel's HTTP/1.1 server keeps the connection's HTTP state (request and response headers,
/// the output producer and its lock, timeouts, the request's features and scope) for the socket's lifetime: about
/// 7 KB a socket. Here only the transport and the socket remain, and frames are written to the transport's output
/// without the HTTP layer's lock.
/// </remarks>
internal sealed class SocketConnectionHandler(ConnectionDelegate next, IServiceProvider services)
{
    private readonly ChannelsRuntime _runtime = services.GetService<ChannelsRuntime>()
        ?? throw new InvalidOperationException("Phoenix Channels services are missing: call services.AddPhoenixChannels().");

    private readonly IServiceScopeFactory _scopes = services.GetRequiredService<IServiceScopeFactory>();
    private readonly KestrelServerLimits _limits = services.GetService<IOptions<KestrelServerOptions>>()?.Value.Limits ?? new KestrelServerLimits();

    public async Task OnConnectionAsync(ConnectionContext connection)
    {
        UpgradeRequest? request = _runtime.Endpoints.Count == 0 ? null : await ReadUpgradeAsync(connection);
        if (request is null)
        {
            await next(connection);
            return;
        }

        await using AsyncServiceScope scope = _scopes.CreateAsyncScope();
        SocketConnection? socket = await AcceptAsync(connection, request, scope.ServiceProvider);
        if (socket is null)
        {
            return;
        }

        await request.Endpoint.RunAsync(socket);
        await CloseAsync(connection, socket.ClosedCleanly);
    }

    /// <summary>
    /// Reads the first request head: the upgrade (its bytes taken) when it is one of ours, else null with every byte left
    /// for Kestrel. A client that has not sent a whole head within Kestrel's <c>RequestHeadersTimeout</c> is left to Kestrel too.
    /// </summary>
    private async Task<UpgradeRequest?> ReadUpgradeAsync(ConnectionContext connection)
    {
        PipeReader input = connection.Transport.Input;
        int maxHead = (int)Math.Min(_limits.MaxRequestLineSize + (long)_limits.MaxRequestHeadersTotalSize, 1 << 20);
        using var timeout = new CancellationTokenSource(_limits.RequestHeadersTimeout, _runtime.TimeProvider);
        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                return null;
            }

            ReadOnlySequence<byte> buffer = result.Buffer;
            UpgradeParse parse = Parse(buffer, maxHead, out UpgradeRequest? request, out int consumed);
            if (parse == UpgradeParse.Upgrade)
            {
                input.AdvanceTo(buffer.GetPosition(consumed));
                return request;
            }

            if (parse == UpgradeParse.NotOurs || result.IsCompleted || result.IsCanceled)
            {
                input.AdvanceTo(buffer.Start);
                return null;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private UpgradeParse Parse(ReadOnlySequence<byte> buffer, int maxHead, out UpgradeRequest? request, out int consumed)
    {
        if (buffer.IsSingleSegment)
        {
            return UpgradeRequest.TryParse(buffer.FirstSpan, _runtime.Endpoints, maxHead, out request, out consumed);
        }

        int length = (int)Math.Min(buffer.Length, maxHead);
        byte[] copy = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            buffer.Slice(0, length).CopyTo(copy);
            return UpgradeRequest.TryParse(copy.AsSpan(0, length), _runtime.Endpoints, maxHead, out request, out consumed);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    /// <summary>
    /// Runs the endpoint's checks and the application's connect on a request made of the head: the accepted socket, or
    /// null after the refusal was answered. The request lives only this long.
    /// </summary>
    private static async Task<SocketConnection?> AcceptAsync(ConnectionContext connection, UpgradeRequest request, IServiceProvider requestServices)
    {
        var response = new HttpResponseFeature();
        var webSocket = new ConnectionWebSocketFeature(connection.Transport, RawSocket(connection), request.WebSocketKey, response.Headers);
        var features = new FeatureCollection();
        features.Set<IHttpRequestFeature>(new HttpRequestFeature
        {
            Protocol = "HTTP/1.1",
            Method = HttpMethods.Get,
            Scheme = connection.Features.Get<ITlsHandshakeFeature>() is null ? "http" : "https",
            Path = request.Path,
            QueryString = request.QueryString,
            RawTarget = request.Path + request.QueryString,
            Headers = request.Headers,
        });
        features.Set<IHttpResponseFeature>(response);
        // Only a refusal with a reason writes a body (no buffer until then).
        var body = new MemoryStream(0);
        features.Set<IHttpResponseBodyFeature>(new StreamResponseBodyFeature(body));
        features.Set<IHttpConnectionFeature>(new HttpConnectionFeature
        {
            ConnectionId = connection.ConnectionId,
            RemoteIpAddress = (connection.RemoteEndPoint as IPEndPoint)?.Address,
            RemotePort = (connection.RemoteEndPoint as IPEndPoint)?.Port ?? 0,
            LocalIpAddress = (connection.LocalEndPoint as IPEndPoint)?.Address,
            LocalPort = (connection.LocalEndPoint as IPEndPoint)?.Port ?? 0,
        });
        features.Set<IHttpRequestIdentifierFeature>(new HttpRequestIdentifierFeature { TraceIdentifier = connection.ConnectionId + ":00000001" });
        features.Set<IHttpRequestLifetimeFeature>(new HttpRequestLifetimeFeature { RequestAborted = connection.ConnectionClosed });
        features.Set<IServiceProvidersFeature>(new ServiceProvidersFeature { RequestServices = requestServices });
        features.Set<IHttpWebSocketFeature>(webSocket);

        SocketConnection? socket = await request.Endpoint.AcceptAsync(new DefaultHttpContext(features));
        if (socket is null)
        {
            await RefuseAsync(connection, response, body);
        }

        return socket;
    }

    /// <summary>
    /// Kestrel's socket, when the connection's transport is still its own pipe pair (no TLS or other middleware
    /// transforming the bytes in between), so that frames may be sent on it directly; else null.
    /// </summary>
    private static Socket? RawSocket(ConnectionContext connection)
        => connection.Features.Get<ITlsHandshakeFeature>() is null
            && connection.Transport.GetType().FullName == "System.IO.Pipelines.DuplexPipe"
            && connection.Features.Get<IConnectionSocketFeature>()?.Socket is { } socket
            ? socket
            : null;

    /// <summary>A refusal: the status, headers and body the endpoint set, as Kestrel would answer them, and the connection closes.</summary>
    private static async Task RefuseAsync(ConnectionContext connection, HttpResponseFeature response, MemoryStream body)
    {
        var head = new StringBuilder($"HTTP/1.1 {response.StatusCode} {ReasonPhrases.GetReasonPhrase(response.StatusCode)}\r\n");
        foreach (var (name, values) in response.Headers)
        {
            if (!name.Equals(HeaderNames.ContentLength, StringComparison.OrdinalIgnoreCase) && !name.Equals(HeaderNames.Connection, StringComparison.OrdinalIgnoreCase))
            {
                foreach (string? value in values)
                {
                    head.Append(name).Append(": ").Append(value).Append("\r\n");
                }
            }
        }

        head.Append($"Content-Length: {body.Length}\r\nConnection: close\r\n\r\n");
        connection.Transport.Output.Write(Encoding.UTF8.GetBytes(head.ToString()));
        connection.Transport.Output.Write(body.GetBuffer().AsSpan(0, (int)body.Length));
        await connection.Transport.Output.FlushAsync();
        await connection.Transport.Output.CompleteAsync();
    }

    /// <summary>
    /// After a closing handshake the output is completed (Kestrel sends what is left, then closes), within the close
    /// timeout; an aborted socket's connection is aborted at once.
    /// </summary>
    private async Task CloseAsync(ConnectionContext connection, bool cleanly)
    {
        await connection.Transport.Output.CompleteAsync();
        if (cleanly && !connection.ConnectionClosed.IsCancellationRequested)
        {
            var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (connection.ConnectionClosed.Register(static state => ((TaskCompletionSource)state!).TrySetResult(), closed))
            {
                try
                {
                    await closed.Task.WaitAsync(_runtime.Options.CloseTimeout, _runtime.TimeProvider);
                    return;
                }
                catch (TimeoutException)
                {
                }
            }
        }

        connection.Abort();
    }
}

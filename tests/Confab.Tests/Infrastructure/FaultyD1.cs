using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Confab.Tests.Infrastructure;

/// <summary>
/// An HTTP server on 127.0.0.1 standing where D1 would, for the failures a real D1 does not show on demand: it hangs,
/// or answers the next N requests with a 503 in D1's error shape; otherwise it passes requests on to the real D1 behind
/// it (the run's local D1), unchanged. It counts what it receives.
/// </summary>
public sealed class FaultyD1 : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly HttpClient upstream = new() { Timeout = TimeSpan.FromSeconds(30) };
    private readonly string? upstreamUrl;
    private readonly Lock gate = new();
    private int failNext;
    private int requests;

    private FaultyD1(WebApplication app, string? upstreamUrl)
    {
        this.app = app;
        this.upstreamUrl = upstreamUrl;
    }

    /// <summary>Its D1 contract base URL, e.g. <c>http://127.0.0.1:41234/__d1</c>.</summary>
    public string Url { get; private set; } = "";

    /// <summary>Accept requests and never answer them.</summary>
    public bool Hang { get; set; }

    public int Requests => Volatile.Read(ref requests);

    public string? LastAuthorization { get; private set; }

    /// <summary>Starts it; with no <paramref name="upstreamUrl"/> it can only hang or fail.</summary>
    public static async Task<FaultyD1> StartAsync(string? upstreamUrl = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var d1 = new FaultyD1(builder.Build(), upstreamUrl);
        d1.app.MapPost("/__d1/query", d1.HandleAsync);
        await d1.app.StartAsync().Within();
        var address = d1.app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        d1.Url = address.TrimEnd('/') + "/__d1";
        return d1;
    }

    /// <summary>The next <paramref name="count"/> requests get <c>503 {"success": false, "errors": [{"code": 7500, ...}]}</c>.</summary>
    public void FailNext(int count)
    {
        lock (gate)
        {
            failNext = count;
        }
    }

    public void ResetCount() => Interlocked.Exchange(ref requests, 0);

    /// <summary>A URL on 127.0.0.1 where nothing listens.</summary>
    public static string ClosedPortUrl()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/__d1";
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref requests);
        LastAuthorization = context.Request.Headers.Authorization;
        if (Hang)
        {
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // The client gave up, as it should.
            }

            return;
        }

        if (TakeFailure() || upstreamUrl is null)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(
                """{"result": [], "success": false, "errors": [{"code": 7500, "message": "D1_ERROR: Network connection lost."}], "messages": []}""");
            return;
        }

        using var body = new StreamContent(context.Request.Body);
        body.Headers.ContentType = new("application/json");
        using var answer = await upstream.PostAsync(upstreamUrl + "/query", body, context.RequestAborted);
        context.Response.StatusCode = (int)answer.StatusCode;
        context.Response.ContentType = "application/json";
        await answer.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
    }

    private bool TakeFailure()
    {
        lock (gate)
        {
            if (failNext <= 0)
            {
                return false;
            }

            failNext--;
            return true;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Hang = false;
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            await app.StopAsync(stop.Token);
        }

        await app.DisposeAsync();
        upstream.Dispose();
    }
}

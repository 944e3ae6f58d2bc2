using System.Net;
using Confab.Channels.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Confab.Channels.Tests;

/// <summary><c>UsePhoenixSocket</c>: the socket as a branch at the front of the pipeline, which later middleware never sees.</summary>
public sealed class PipelineBranchTests
{
    [Fact]
    public async Task Socket_requests_are_served_by_the_branch_and_never_reach_later_middleware()
    {
        var seen = new List<string>();
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<Probe>();
        builder.Services.AddPhoenixChannels().AddPhoenixSocket<TestSocket>();
        await using WebApplication app = builder.Build();
        app.UsePhoenixSocket<TestSocket>("/socket/");
        app.Use((context, next) =>
        {
            lock (seen)
            {
                seen.Add(context.Request.Path);
            }

            return next(context);
        });
        app.MapGet("/", () => "not a socket");
        await app.StartAsync().WaitAsync(TestServer.Timeout);
        var authority = new Uri(app.Urls.Single()).Authority;

        await using (var client = await PhoenixTestClient.ConnectAsync(new Uri($"ws://{authority}/socket/websocket?token=good&vsn=2.0.0")))
        {
            var reply = await client.JoinAsync("echo:1", "1");
            Assert.Equal("ok", reply.Status);
        }

        using var http = new HttpClient();
        // Not a WebSocket request: the branch answers it (400), as the mapped endpoint does.
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync(new Uri($"http://{authority}/Socket/WebSocket?vsn=2.0.0"))).StatusCode);
        Assert.Equal("not a socket", await http.GetStringAsync(new Uri($"http://{authority}/")));

        await app.StopAsync().WaitAsync(TestServer.Timeout);
        lock (seen)
        {
            Assert.Equal(["/"], seen);
        }
    }
}

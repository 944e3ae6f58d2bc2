using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Confab.Channels.Tests.Infrastructure;

/// <summary>
/// A real Kestrel server on 127.0.0.1 (port 0) hosting <see cref="TestSocket"/> at <c>/socket</c>. Disposing it stops
/// the server and fails the test if an error was logged that the test did not declare as expected.
/// </summary>
public sealed class TestServer : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Sockets are served from the connection (<c>UsePhoenixSockets</c>, as Confab serves them) unless
    /// <c>CHANNELS_TEST_TRANSPORT=pipeline</c>: the test command runs the suite both ways.
    /// </summary>
    public static bool ServesFromConnection { get; } = Environment.GetEnvironmentVariable("CHANNELS_TEST_TRANSPORT") != "pipeline";

    private readonly HashSet<int> _allowedErrorEvents = [];

    private TestServer(WebApplication app, LogSink logs)
    {
        App = app;
        Logs = logs;
        BaseAddress = new Uri(app.Urls.Single());
    }

    public WebApplication App { get; }

    public LogSink Logs { get; }

    public Uri BaseAddress { get; }

    public Probe Probe => App.Services.GetRequiredService<Probe>();

    public ChannelsMetrics Metrics => App.Services.GetRequiredService<ChannelsMetrics>();

    public IPubSub PubSub => App.Services.GetRequiredService<IPubSub>();

    public PresenceTracker Presence => App.Services.GetRequiredService<PresenceTracker>();

    public static async Task<TestServer> StartAsync(
        Action<ChannelOptions>? configure = null, TimeProvider? timeProvider = null, bool? fromConnection = null, Action<IServiceCollection>? services = null)
    {
        var logs = new LogSink();
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        if (fromConnection ?? ServesFromConnection)
        {
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(listen => listen.UsePhoenixSockets()));
        }

        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Logging.AddProvider(logs);
        if (timeProvider is not null)
        {
            builder.Services.AddSingleton(timeProvider);
        }

        builder.Services.AddSingleton<Probe>();
        services?.Invoke(builder.Services);
        builder.Services.AddPhoenixChannels(configure).AddPhoenixSocket<TestSocket>();
        WebApplication app = builder.Build();
        app.MapPhoenixSocket<TestSocket>("/socket");
        app.MapGet("/", () => "not a socket");
        await app.StartAsync().WaitAsync(Timeout);
        return new TestServer(app, logs);
    }

    /// <summary>Declares an error log entry (by event id) that this test provokes on purpose.</summary>
    public void AllowErrorLog(int eventId) => _allowedErrorEvents.Add(eventId);

    public Uri SocketUri(string query = "token=good&vsn=2.0.0")
        => new($"ws://{BaseAddress.Authority}/socket/websocket?{query}");

    public Task<PhoenixTestClient> ConnectAsync(string query = "token=good&vsn=2.0.0", bool receive = true, Action<System.Net.WebSockets.ClientWebSocketOptions>? configure = null)
        => PhoenixTestClient.ConnectAsync(SocketUri(query), receive, configure);

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await App.DisposeAsync().AsTask().WaitAsync(Timeout);
        var unexpected = Logs.Entries
            .Where(e => e.Level >= LogLevel.Error && !_allowedErrorEvents.Contains(e.EventId.Id))
            .ToList();
        Assert.True(unexpected.Count == 0, "Unexpected error logs:\n" + string.Join("\n", unexpected));
    }
}

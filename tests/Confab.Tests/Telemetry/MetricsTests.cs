using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Confab.Tests.Infrastructure;

namespace Confab.Tests.Telemetry;

/// <summary>
/// OpenTelemetry listens to meters by name across the whole process, so an app's <c>/metrics</c> would also show
/// the <c>Confab</c> meters of apps other tests run at the same time: these tests run alone.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed partial class MetricsTests
{
    [Fact]
    public async Task Metrics_count_what_the_socket_did_and_the_latency_histogram_has_one_observation_per_message()
    {
        await using var app = new ConfabFactory();
        var address = app.StartKestrel();
        var token = ConfabFactory.TokenOf(await app.ClientForNewUserAsync("alice"));
        await using var client = await PhoenixClient.ConnectAsync(address, token);
        Assert.Equal("ok", (await client.RequestAsync("room:general", "phx_join", new { })).GetProperty("status").GetString());

        // The join's presence diff goes out with the next batch (Channels:PresenceDiffInterval); it is counted below.
        while ((await client.ReceiveAsync())[3].GetString() != "presence_diff")
        {
        }

        const int Accepted = 10;
        const int RateLimited = 3;
        for (var i = 0; i < Accepted + RateLimited; i++)
        {
            var reply = await client.RequestAsync("room:general", "new_message", new { content = $"m{i}" });
            Assert.Equal(i < Accepted ? "ok" : "error", reply.GetProperty("status").GetString());
        }

        Assert.Equal("error", (await client.RequestAsync("room:general", "new_message", new { content = "  " })).GetProperty("status").GetString());
        Assert.Equal("error", (await client.RequestAsync("room:nowhere", "phx_join", new { })).GetProperty("status").GetString());

        var metrics = await app.CreateClient().GetStringAsync("/metrics");

        Assert.Equal(Accepted, Value(metrics, "confab_messages_accepted_total"));
        Assert.Equal(RateLimited, Value(metrics, "confab_messages_rejected_total", "reason=\"rate_limit\""));
        Assert.Equal(1, Value(metrics, "confab_messages_rejected_total", "reason=\"validation\""));
        // Every room change is timed: the ten messages and the join's member_added.
        Assert.Equal(Accepted + 1, Value(metrics, "confab_messages_latency_seconds_count", "stage=\"delivered\""));
        Assert.Equal(Accepted + 1, Value(metrics, "confab_messages_latency_seconds_count", "stage=\"committed\""));
        Assert.Equal(1, Value(metrics, "confab_channel_joins_total", "outcome=\"ok\""));
        Assert.Equal(1, Value(metrics, "confab_channel_joins_total", "outcome=\"room_not_found\""));
        Assert.Equal(1, Value(metrics, "confab_channels_sockets_active"));
        Assert.Equal(1, Value(metrics, "confab_channels_joined"));
        Assert.Equal(1, Value(metrics, "confab_presence_tracked"));
        // The ten messages, and the presence diff of the join.
        Assert.Equal(Accepted + 1, Value(metrics, "confab_channels_broadcast_deliveries_total"));
        Assert.Equal(Accepted + 1, Value(metrics, "confab_message_log_batch_size_sum"));
        Assert.True(Value(metrics, "confab_message_log_commit_duration_seconds_count") >= 1);
        Assert.True(Value(metrics, "confab_db_statement_duration_seconds_count", "operation=\"batch\"") >= 1);
        Assert.True(Value(metrics, "confab_db_statement_duration_seconds_count", "operation=\"select rooms\"") >= 1);
        // The platform's own: ASP.NET Core, Kestrel and the runtime.
        Assert.Contains("http_server_request_duration_seconds", metrics, StringComparison.Ordinal);
        Assert.Contains("kestrel_active_connections", metrics, StringComparison.Ordinal);
        Assert.Contains("dotnet_gc_collections_total", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metrics_can_move_to_their_own_port_and_require_a_token()
    {
        using var folder = TempFolder.Create();
        var metricsPort = ServerProcess.FreePort();
        await using var server = await ServerProcess.StartAsync(Path.Combine(folder.Path, "confab.db"), ServerProcess.NewSecret(), new Dictionary<string, string>
        {
            ["Confab__Telemetry__MetricsPort"] = metricsPort.ToString(CultureInfo.InvariantCulture),
            ["Confab__Telemetry__MetricsToken"] = "scrape-secret",
        });
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };

        var onPublicPort = await http.GetAsync(new Uri(server.Address, "/metrics"));
        var withoutToken = await http.GetAsync($"http://127.0.0.1:{metricsPort}/metrics");
        using var scrape = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{metricsPort}/metrics");
        scrape.Headers.Authorization = new("Bearer", "scrape-secret");
        var withToken = await http.SendAsync(scrape);

        Assert.Equal(HttpStatusCode.NotFound, onPublicPort.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, withoutToken.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withToken.StatusCode);
        Assert.Contains("confab_", await withToken.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        // The app itself still answers on the public port.
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(server.Address, "/healthz"))).StatusCode);
    }

    /// <summary>The value of one Prometheus sample, e.g. <c>confab_messages_rejected_total{...reason="rate_limit"...} 3</c>.</summary>
    internal static double Value(string metrics, string name, string? label = null)
    {
        foreach (var line in metrics.Split('\n'))
        {
            var match = Sample().Match(line);
            if (match.Success && match.Groups["name"].Value == name && (label is null || match.Groups["labels"].Value.Contains(label, StringComparison.Ordinal)))
            {
                return double.Parse(match.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }

        Assert.Fail($"no sample {name} {label} in:\n{string.Join('\n', metrics.Split('\n').Where(l => l.StartsWith("confab", StringComparison.Ordinal)))}");
        return 0;
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>[^ ]+)")]
    private static partial Regex Sample();
}

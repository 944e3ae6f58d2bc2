using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Confab.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Confab.Tests.Security;

/// <summary>User enumeration by timing: a failed log-in costs the same whether or not the account exists.</summary>
public sealed class LogInTimingTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_wrong_password_and_an_unknown_user_take_the_same_time()
    {
        await using var app = new ConfabFactory(new()
        {
            ["Confab:RateLimits:LogInsPerIp"] = "1000",
            ["Confab:RateLimits:AttemptsPerUsername"] = "1000",
        });
        var client = app.CreateClient();
        await client.PostJsonAsync("/api/users", new { username = "alice", email = "alice@example.com", password = "s3cret-pass" }, HttpStatusCode.Created);
        await TimeAsync(client, "alice");
        await TimeAsync(client, "nobody");

        var existing = new List<double>();
        var unknown = new List<double>();
        for (var i = 0; i < 8; i++)
        {
            existing.Add(await TimeAsync(client, "alice"));
            unknown.Add(await TimeAsync(client, $"nobody{i}"));
        }

        var ratio = Median(unknown) / Median(existing);
        output.WriteLine($"median failed log-in: {Median(existing):F1} ms for an existing user, {Median(unknown):F1} ms for an unknown one (ratio {ratio:F2})");
        // Without the decoy hash an unknown user answers in about 1 ms against tens of ms: a ratio far below 0.5.
        Assert.InRange(ratio, 0.5, 2.0);
    }

    private static async Task<double> TimeAsync(HttpClient client, string username)
    {
        var clock = Stopwatch.StartNew();
        var response = await client.PostAsJsonAsync("/api/auth/token", new { username, password = "not-the-password" }).WaitAsync(TimeSpan.FromSeconds(10));
        var elapsed = clock.Elapsed.TotalMilliseconds;
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        return elapsed;
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
}

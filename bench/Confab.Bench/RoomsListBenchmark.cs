using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using Confab.Bench.Load;

namespace Confab.Bench;

/// <summary>
/// <c>GET /api/rooms</c> for a user in many rooms (issue 18's target: under 20 ms for 200), over HTTP against a running
/// server whose database (a SQLite file or PostgreSQL) <c>load-setup --first-user-in N</c> made: the first load user's
/// rooms, each with its role, read marker and unread and mention counts. Sequential requests after a warm-up; latency
/// percentiles.
/// </summary>
internal static class RoomsListBenchmark
{
    public static async Task<int> RunAsync(BenchArgs args)
    {
        string url = args.Text("url", "");
        var storage = LoadStorage.FromArgs(args);
        string secret = args.Text("secret", Environment.GetEnvironmentVariable("SECRET_KEY_BASE") ?? "");
        int requests = args.Number("requests", 500);
        string? problem = storage.Problem(prepared: true);
        if (url.Length == 0 || problem is not null || secret.Length < 32 || requests is < 1 or > 100_000)
        {
            await Console.Error.WriteLineAsync((problem is null ? "" : problem + "\n") + $"usage: Confab.Bench rooms-list --url URL {LoadStorage.Usage} [--requests N] (SECRET_KEY_BASE: the server's)");
            return 2;
        }

        var (tokens, _, _) = await LoadDatabase.ReadAsync(storage, secret, 1, 0);
        using var http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens[0]);

        var (memberRooms, unread, mentions) = await ListAsync(http);
        for (int i = 0; i < 50; i++)
        {
            await ListAsync(http);
        }

        var latencies = new double[requests];
        for (int i = 0; i < requests; i++)
        {
            var clock = Stopwatch.StartNew();
            await ListAsync(http);
            latencies[i] = clock.Elapsed.TotalMilliseconds;
        }

        Array.Sort(latencies);
        double At(double p) => latencies[Math.Min(latencies.Length - 1, (int)(p * latencies.Length))];
        Console.WriteLine(
            $"[rooms-list] GET /api/rooms for a member of {memberRooms} rooms ({unread} unread, {mentions} mentions in all): {requests} requests, " +
            $"p50 {At(0.50):F2} p90 {At(0.90):F2} p99 {At(0.99):F2} max {latencies[^1]:F2} ms; load average {MachineInfo.Current().LoadAverageAtStart}");
        return 0;
    }

    // The rooms the user belongs to, and their counts summed (what a sidebar shows).
    private static async Task<(int Rooms, long Unread, long Mentions)> ListAsync(HttpClient http)
    {
        using var response = await http.GetAsync("/api/rooms");
        response.EnsureSuccessStatusCode();
        using var document = JsonDocument.Parse(await response.Content.ReadAsStreamAsync());
        int rooms = 0;
        long unread = 0, mentions = 0;
        foreach (var room in document.RootElement.EnumerateArray())
        {
            if (room.GetProperty("role").ValueKind != JsonValueKind.Null)
            {
                rooms++;
                unread += room.GetProperty("unread_count").GetInt64();
                mentions += room.GetProperty("mention_count").GetInt64();
            }
        }

        return (rooms, unread, mentions);
    }
}

using Confab.Bench.Load;
using Confab.Bench.Web;

namespace Confab.Bench;

/// <summary>
/// The web load generator: browser sessions on the room page (Blazor Server circuits), each its own user signed in
/// through the log-in form, dealt over rooms, opened at a ramp rate, then sending at a total rate; it measures what a
/// session costs the server (RSS and managed heap, idle and with every session open), delivery latency from send to
/// the render batch that shows the message, circuits lost and the server's CPU, and writes JSON. The sessions are the
/// driver's own (<see cref="CircuitSession"/>) or, with <c>--chromium</c>, real Chromium pages to validate it against.
/// See <see cref="WebOptions.Help"/>.
/// </summary>
internal static class WebBenchmark
{
    public static async Task<int> RunAsync(BenchArgs args)
    {
        if (args.Text("help", "") == "true")
        {
            Console.WriteLine(WebOptions.Help);
            return 0;
        }

        var options = WebOptions.Parse(args);
        if (options.Problem() is { } problem)
        {
            await Console.Error.WriteLineAsync(problem + "\n" + WebOptions.Help);
            return 2;
        }

        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(options.MaxSeconds));
        var machine = MachineInfo.Current();
        Console.WriteLine($"[{options.Name}] {options.Sessions} {(options.Chromium ? "Chromium pages" : "driver sessions")} in {options.Rooms} rooms of {options.RoomSize}; "
            + $"sending {string.Join(", ", options.Phases.Select(p => $"{p.Rate} msgs/s for {p.Seconds} s"))}; load average {machine.LoadAverageAtStart}");
        using var pages = new PageRequests(options.Url, options.Opening);
        await using var chromium = options.Chromium ? await ChromiumBrowser.LaunchAsync(options.Url) : null;
        WebRun? run = null;
        await using var sampler = new ServerSampler(options.ServerPid > 0 ? new ProcessStats(options.ServerPid) : null, () => run?.Sessions.Count(s => s.IsOpen) ?? 0);
        sampler.Start();
        run = new WebRun(options, (i, stats) => chromium is not null
            ? new ChromiumSession(chromium, stats, i, i % options.Rooms, options.UserName(i), WebOptions.RoomSlug(i % options.Rooms))
            : new CircuitSession(new SessionContext(pages, options.Server, options.Sources, stats, WebOptions.RoomSlug), i, i % options.Rooms, options.UserName(i)), bound.Token);
        WebReport report;
        try
        {
            report = await run.RunAsync(sampler);
        }
        catch (OperationCanceledException) when (bound.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync($"[{options.Name}] stopped at --max-seconds {options.MaxSeconds}");
            foreach (var session in run.Sessions)
            {
                await session.DisposeAsync();
            }

            return 3;
        }

        if (options.Out is { } path)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            await File.WriteAllTextAsync(path, report.ToJson());
            Console.WriteLine($"[{options.Name}] report: {path}");
        }

        return 0;
    }
}

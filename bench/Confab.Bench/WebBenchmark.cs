using Confab.Bench.Load;
using Confab.Bench.Web;

namespace Confab.Bench;

/// <summary>
/// The web load generator: browser sessions on the room page, each its own user signed in through the log-in form,
/// dealt over rooms, opened at a ramp rate, then sending at a total rate; it measures what a session costs the server
/// (RSS and managed heap, idle and with every session open), delivery latency from send to what brings the message to
/// the page (a render batch, or in WebAssembly mode a socket frame), sessions lost and the server's CPU, and writes
/// JSON. The sessions are the driver's own, as the server runs the page (<c>--page</c>): Blazor Server circuits
/// (<see cref="CircuitSession"/>) or the WebAssembly page's Phoenix socket (<see cref="SocketPageSession"/>); or, with
/// <c>--chromium</c>, real Chromium pages to validate them against.
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
        Console.WriteLine($"[{options.Name}] {options.Sessions} {(options.Chromium ? "Chromium pages" : "driver sessions")} on the {WebOptions.PageName(options.Page)} room page "
            + $"in {options.Rooms} rooms of {options.RoomSize}; "
            + $"sending {string.Join(", ", options.Phases.Select(p => $"{p.Rate} msgs/s for {p.Seconds} s"))}; load average {machine.LoadAverageAtStart}");
        using var pages = new PageRequests(options.Url, options.Opening);
        await using var chromium = options.Chromium ? await ChromiumBrowser.LaunchAsync(options.Url) : null;
        WebRun? run = null;
        await using var sampler = new ServerSampler(options.ServerPid > 0 ? new ProcessStats(options.ServerPid) : null, () => run?.Sessions.Count(s => s.IsOpen) ?? 0);
        sampler.Start();
        run = new WebRun(options, CreateSession, bound.Token);
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

        IBrowserSession CreateSession(int i, WebStats stats)
        {
            int room = i % options.Rooms;
            if (chromium is not null)
            {
                return new ChromiumSession(chromium, stats, i, room, options.UserName(i), WebOptions.RoomSlug(room));
            }

            var context = new SessionContext(pages, options.Server, options.Sources, stats, WebOptions.RoomSlug);
            return options.Page == PageMode.WebAssembly
                ? new SocketPageSession(context, i, room, options.UserName(i))
                : new CircuitSession(context, i, room, options.UserName(i));
        }
    }
}

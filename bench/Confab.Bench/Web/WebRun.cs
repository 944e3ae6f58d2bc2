using System.Diagnostics;
using Confab.Bench.Load;

namespace Confab.Bench.Web;

/// <summary>
/// One web run: a small warm-up (sessions open, send once, close) so that idle memory includes the page code, the
/// sessions opened at the ramp rate, memory sampled once they settle (so memory per session is (open - idle) / open
/// sessions), then messages sent at the total rate for the phase, each by the next session of its room, and counted
/// as they reach the others; then every session leaves.
/// </summary>
internal sealed class WebRun(WebOptions options, Func<int, WebStats, IBrowserSession> createSession, CancellationToken cancellationToken)
{
    private readonly ProcessStats? server = options.ServerPid > 0 ? new ProcessStats(options.ServerPid) : null;
    private readonly ProcessStats self = new(Environment.ProcessId);
    private long nextNumber = 1;
    private List<IBrowserSession> warm = [];

    public List<IBrowserSession> Sessions { get; private set; } = [];

    public async Task<WebReport> RunAsync(ServerSampler sampler)
    {
        using var pings = new CancellationTokenSource();
        Task pinging = Task.Run(() => PingAsync(pings.Token), CancellationToken.None);
        try
        {
            return await RunCoreAsync(sampler);
        }
        finally
        {
            await pings.CancelAsync();
            await pinging.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task<WebReport> RunCoreAsync(ServerSampler sampler)
    {
        string tag = $"[{options.Name}]";
        var machine = MachineInfo.Current();
        var generatorCpu = Process.GetCurrentProcess().TotalProcessorTime;
        double coldIdle = Rss();
        var metricsAtStart = await ServerMetrics.ReadAsync(options.Url);
        if (options.Warmup > 0)
        {
            await WarmUpAsync();
        }

        await Task.Delay(TimeSpan.FromSeconds(options.Settle), cancellationToken);
        double idle = Rss();
        var metricsIdle = await ServerMetrics.ReadAsync(options.Url);
        Console.WriteLine($"{tag} server RSS {coldIdle:F0} MiB as started, {idle:F0} MiB idle after a warm-up of {options.Warmup}; managed heap {metricsIdle.HeapMiB:F0} MiB");

        var stats = new WebStats(options.MaxMessages);
        Sessions = [.. Enumerable.Range(0, options.Sessions).Select(i => createSession(i, stats))];
        var open = await OpenAllAsync(Sessions, stats);
        Console.WriteLine($"{tag} opened {open.Opened}/{open.Attempted} sessions in {open.Seconds:F1} s ({open.Opened / Math.Max(open.Seconds, 0.001):F1}/s); failures {open.Failures} {stats.FirstError}");
        Console.WriteLine($"{tag} open ({OpenSteps()}): {open.Latency}; server CPU {open.ServerCpuPercent:F0}%");

        await Task.Delay(TimeSpan.FromSeconds(options.Settle), cancellationToken);
        double opened = Rss();
        var metricsOpen = await ServerMetrics.ReadAsync(options.Url);
        int openNow = Sessions.Count(s => s.IsOpen);
        var memory = new WebMemoryReport(
            coldIdle, idle, opened, openNow, PerSessionKiB(opened - idle, openNow),
            metricsIdle.HeapMiB, metricsOpen.HeapMiB, PerSessionKiB(metricsOpen.HeapMiB - metricsIdle.HeapMiB, openNow),
            ServerMetrics.Growth(metricsIdle, metricsOpen, m => m.GcCollections), metricsOpen.Circuits, metricsOpen.Sockets);
        Console.WriteLine($"{tag} server RSS {idle:F0} MiB idle, {opened:F0} MiB with {openNow} sessions open: {memory.RssPerSessionKiB:F0} KiB a session; "
            + $"managed heap {metricsIdle.HeapMiB:F0} -> {metricsOpen.HeapMiB:F0} MiB ({memory.HeapPerSessionKiB:F0} KiB a session, {memory.HeapCollectionsBetween} collections between the readings); "
            + $"circuits {metricsOpen.Circuits}, sockets {metricsOpen.Sockets}");

        if (options.ReadyFile is { } ready)
        {
            await File.WriteAllTextAsync(ready, openNow.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken);
        }

        await Task.Delay(TimeSpan.FromSeconds(options.SendDelay), cancellationToken);
        var phases = new List<WebPhaseReport>();
        foreach (var offered in options.Phases)
        {
            var phase = await SendPhaseAsync(stats, offered);
            phases.Add(phase);
            Console.WriteLine($"{tag} sent {phase.Sent} at {phase.OfferedRate:F0} msgs/s (send failures {phase.SendFailures}); delivered {phase.Delivered}/{phase.ExpectedDeliveries} "
                + $"(missing {phase.Missing}, extra {phase.Extra}); delivery {phase.Delivery}; own echo {phase.OwnEcho}"
                + (options.Chromium ? $"; by DevTools' frame events {phase.DeliveryByDevTools}" : ""));
            Console.WriteLine($"{tag} server CPU {phase.ServerCpuPercent:F0}%, RSS {phase.ServerRssMiB:F0} MiB; generator CPU {phase.GeneratorCpuPercent:F0}%, its browser's {phase.BrowserCpuPercent:F0}%; "
                + $"{(options.Page == PageMode.WebAssembly && !options.Chromium ? "socket frames" : "render batches")} {phase.RenderBatches} ({phase.RenderBytes / 1048576.0:F0} MiB), JS calls so far {stats.InteropCalls}; "
                + (phase.ServerGcPauseSeconds is null ? "server: /metrics did not answer"
                    : $"server: {phase.ServerMessagesAccepted} messages accepted, {phase.ServerGcCollections} collections pausing {phase.ServerGcPauseSeconds:F1} s"));
        }

        long lostBeforeLeaving = stats.CircuitsLost;
        string connection = options.Page == PageMode.WebAssembly ? "sockets" : "circuits";
        Console.WriteLine($"{tag} {connection} lost {lostBeforeLeaving} ({connection[..^1]} errors {stats.CircuitErrors}); {Sessions.Count(s => s.IsOpen)} sessions open at the end");
        await Task.WhenAll(Sessions.Select(s => s.CloseAsync()));
        double afterLeaving = Rss();
        return new WebReport(
            options.Name,
            DateTimeOffset.UtcNow.ToString("u", System.Globalization.CultureInfo.InvariantCulture),
            options.Chromium ? "chromium" : "driver",
            WebOptions.PageName(options.Page),
            machine,
            new WebOptionsReport(options.Sessions, options.RoomSize, options.Rooms, options.Phases, options.Ramp, options.Opening, options.Warmup),
            open,
            memory,
            phases,
            lostBeforeLeaving,
            stats.CircuitErrors,
            stats.FirstError,
            afterLeaving,
            metricsAtStart.HeapMiB,
            Math.Round((Process.GetCurrentProcess().TotalProcessorTime - generatorCpu).TotalSeconds, 1),
            sampler.Samples);
    }

    private string OpenSteps() => options.Chromium ? "log-in, room page, composer enabled"
        : options.Page == PageMode.WebAssembly ? "sign-in, page, socket, join" : "sign-in, page, circuit, first render";

    private static double PerSessionKiB(double mib, int sessions) => sessions > 0 ? Math.Round(mib * 1024 / sessions, 1) : 0;

    private double Rss() => ServerSampler.Mib(server?.ResidentBytes() ?? 0);

    // The page's code, the circuit's pools and the renderer warmed on a few sessions that then leave.
    private async Task WarmUpAsync()
    {
        var stats = new WebStats(options.MaxMessages);
        warm = Enumerable.Range(0, options.Warmup).Select(i => createSession(i, stats)).ToList();
        await OpenAllAsync(warm, stats);
        foreach (var session in warm.Where(s => s.IsOpen))
        {
            await session.SendAsync(Interlocked.Increment(ref nextNumber), 0);
            await Task.Delay(100, cancellationToken);
        }

        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        await Task.WhenAll(warm.Select(s => s.CloseAsync()));
        foreach (var session in warm)
        {
            await session.DisposeAsync();
        }

        warm = [];
    }

    private async Task<WebOpenReport> OpenAllAsync(List<IBrowserSession> sessions, WebStats stats)
    {
        var cpu = server?.CpuTime() ?? TimeSpan.Zero;
        var clock = Stopwatch.StartNew();
        var results = await Ramp.RunAsync(sessions.Count, options.Ramp, options.Opening, i => sessions[i].OpenAsync(cancellationToken), cancellationToken, i =>
        {
            if (i > 0 && i % 500 == 0)
            {
                Console.WriteLine($"[{options.Name}] {i} sessions started in {clock.Elapsed.TotalSeconds:F0} s, {sessions.Take(i).Count(s => s.IsOpen)} open");
            }
        });
        double seconds = clock.Elapsed.TotalSeconds;
        double cpuPercent = server is null ? 0 : (server.CpuTime() - cpu).TotalSeconds / seconds * 100;
        return new WebOpenReport(sessions.Count, results.Count(r => r), stats.OpenFailures, Math.Round(seconds, 1), stats.Open.Summarize(), Math.Round(cpuPercent, 1), Rss());
    }

    private async Task<WebPhaseReport> SendPhaseAsync(WebStats stats, LoadPhase offered)
    {
        var rooms = new List<IBrowserSession>[options.Rooms];
        for (int r = 0; r < rooms.Length; r++)
        {
            rooms[r] = [];
        }

        foreach (var session in Sessions.Where(s => s.IsOpen))
        {
            rooms[session.Room].Add(session);
        }

        var cpu = server?.CpuTime() ?? TimeSpan.Zero;
        var generator = Process.GetCurrentProcess().TotalProcessorTime;
        var browser = self.DescendantsCpuTime();
        long sendFailures = stats.SendFailures, batches = stats.RenderBatches, bytes = stats.RenderBytes;
        var metricsBefore = await ServerMetrics.ReadAsync(options.Url);
        long first = nextNumber + 1;
        var phase = stats.StartPhase(first);
        long total = (long)Math.Ceiling(offered.Rate * offered.Seconds);
        var sends = new List<Task>();
        var clock = Stopwatch.StartNew();
        for (long i = 0; i < total; i++)
        {
            var due = TimeSpan.FromSeconds(i / offered.Rate) - clock.Elapsed;
            if (due > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(due, cancellationToken);
            }

            var members = rooms[(int)(i % rooms.Length)];
            if (members.Count == 0)
            {
                continue;
            }

            var sender = members[(int)(i / rooms.Length % members.Count)];
            int receivers = members.Count(m => m.IsOpen) - 1;
            sends.Add(sender.SendAsync(Interlocked.Increment(ref nextNumber), receivers));
        }

        await Task.WhenAll(sends);
        double sendSeconds = clock.Elapsed.TotalSeconds;
        await Task.Delay(TimeSpan.FromSeconds(options.Drain), cancellationToken);
        double seconds = clock.Elapsed.TotalSeconds;

        long end = nextNumber + 1;
        var metricsAfter = await ServerMetrics.ReadAsync(options.Url);
        var (expected, missing, extra) = stats.Count(first, end);
        var delivery = phase.Delivery.Summarize();
        double cpuPercent = server is null ? 0 : (server.CpuTime() - cpu).TotalSeconds / seconds * 100;
        double generatorPercent = (Process.GetCurrentProcess().TotalProcessorTime - generator).TotalSeconds / seconds * 100;
        double browserPercent = (self.DescendantsCpuTime() - browser).TotalSeconds / seconds * 100;
        return new WebPhaseReport(
            offered.Rate, Math.Round(sendSeconds, 1), end - first, stats.SendFailures - sendFailures, expected, delivery.Count, missing, extra, delivery,
            phase.OwnEcho.Summarize(), phase.NetworkDelivery.Summarize(), Math.Round(cpuPercent, 1), Rss(), Math.Round(generatorPercent, 1), Math.Round(browserPercent, 1),
            stats.RenderBatches - batches, stats.RenderBytes - bytes, ServerMetrics.Growth(metricsBefore, metricsAfter, m => m.GcPauseSeconds),
            ServerMetrics.Growth(metricsBefore, metricsAfter, m => m.GcCollections), ServerMetrics.Growth(metricsBefore, metricsAfter, m => m.MessagesAccepted));
    }

    // The connections' keep-alive, for every session: SignalR's ping (the server drops a client it has not heard from for
    // 30 s), Phoenix's heartbeat.
    private async Task PingAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (await timer.WaitForNextTickAsync(stop))
        {
            long now = Stopwatch.GetTimestamp();
            foreach (var session in warm.Concat(Sessions))
            {
                session.KeepAlive(now);
            }
        }
    }
}

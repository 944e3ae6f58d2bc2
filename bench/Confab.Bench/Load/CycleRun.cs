using System.Diagnostics;

namespace Confab.Bench.Load;

/// <summary>
/// One cycle of a load run: join every socket at the ramp rate, wait for presence traffic to settle, run the sending
/// phases (with heartbeats going), hold, leave, and watch the server's memory fall back.
/// </summary>
internal sealed class CycleRun(LoadOptions options, ProcessStats? server, LoadStats stats, LoadClient[] clients, List<string> tokens, CancellationToken cancellationToken)
{
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(30);

    private long nextNumber = stats.FirstNumber;

    public async Task<CycleReport> RunAsync(int cycle, double idleMiB)
    {
        string tag = $"[{options.Name} #{cycle}]";
        using var heartbeats = new CancellationTokenSource();
        Task beating = options.Heartbeat > 0 ? Task.Run(() => HeartbeatAsync(heartbeats.Token), CancellationToken.None) : Task.CompletedTask;
        var join = await JoinAsync();
        Console.WriteLine($"{tag} joined {join.Joined}/{join.Attempted} in {join.Seconds:F1} s (presence settled at {join.PresenceSettledSeconds:F1} s, "
            + $"{join.PresenceFrames} presence frames, {join.PresenceBytes / 1048576.0:F0} MiB); failures: connect {join.ConnectFailures}, join {join.JoinFailures} {join.FirstError}");
        Console.WriteLine($"{tag} join {join.Join}; connect+join {join.ConnectAndJoin}; server CPU {join.ServerCpuPercent:F0}%, RSS {join.ServerRssMiB:F0} MiB");

        var phases = new List<PhaseReport>();
        try
        {
            int[] members = new int[options.Rooms];
            foreach (var client in clients.Where(c => c.IsJoined))
            {
                members[client.Room]++;
            }

            var senders = clients.Take(options.Senders).Where(c => c.IsJoined).ToArray();
            for (int i = 0; i < options.Phases.Count; i++)
            {
                var phase = await SendPhaseAsync(cycle, $"phase {i + 1}", options.Phases[i], senders, members);
                phases.Add(phase);
                Console.WriteLine($"{tag} {phase.Name}: offered {phase.OfferedRate:F0} msgs/s, sent {phase.Sent}, acked {phase.RepliesOk} (errors {phase.RepliesError}); push→reply {phase.PushToReply}");
                Console.WriteLine($"{tag} {phase.Name}: delivered {phase.Delivered}/{phase.ExpectedDeliveries} (missing {phase.Missing}, extra {phase.Extra}, out of order {phase.OutOfOrderOrRepeated}), "
                    + $"{phase.DeliveriesPerSecond:F0}/s; delivery {phase.Delivery}");
                Console.WriteLine($"{tag} {phase.Name}: server CPU {phase.ServerCpuPercent:F0}% ({phase.ServerCpuMicrosPerDelivery:F2} µs/delivery), RSS {phase.ServerRssMiB:F0} MiB; generator CPU {phase.GeneratorCpuPercent:F0}%, GC pauses {phase.GeneratorGcPauseMs:F0} ms");
            }

            await Task.Delay(TimeSpan.FromSeconds(options.Hold), cancellationToken);
            await MeetAsync(cycle, "sent");
        }
        finally
        {
            await heartbeats.CancelAsync();
            await beating.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        double beforeLeave = Rss();
        await Task.WhenAll(clients.Select(c => c.LeaveAsync(TimeSpan.FromSeconds(5))));
        await Task.Delay(TimeSpan.FromSeconds(options.LeaveWait), cancellationToken);
        double afterLeave = Rss();
        var memory = new MemoryReport(idleMiB, join.ServerRssMiB, beforeLeave, afterLeave, idleMiB > 0 ? Math.Round(afterLeave / idleMiB, 3) : 0);
        Console.WriteLine($"{tag} server RSS: idle {idleMiB:F0} MiB, joined {join.ServerRssMiB:F0}, before leaving {beforeLeave:F0}, {options.LeaveWait:F0} s after leaving {afterLeave:F0} MiB");
        return new CycleReport(cycle, join, phases, memory);
    }

    private async Task<JoinReport> JoinAsync()
    {
        var cpu = server?.CpuTime() ?? TimeSpan.Zero;
        var clock = Stopwatch.StartNew();
        bool[] joined = await Ramp.RunAsync(
            clients.Length,
            options.Ramp,
            options.Connecting,
            i => clients[i].ConnectAndJoinAsync(options.Server, options.Source(clients[i].Index), tokens[i], JoinTimeout, cancellationToken),
            cancellationToken);
        double seconds = clock.Elapsed.TotalSeconds;
        var cpuUsed = (server?.CpuTime() ?? TimeSpan.Zero) - cpu;

        // Presence has settled when no presence frame arrived for a second.
        long settleStart = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(settleStart).TotalSeconds < options.Settle
            && Stopwatch.GetElapsedTime(Math.Max(stats.LastPresenceAt, settleStart)).TotalSeconds < 1)
        {
            await Task.Delay(100, cancellationToken);
        }

        double settled = stats.PresenceFrames == 0 ? seconds
            : Math.Max(seconds, seconds + (stats.LastPresenceAt - settleStart) / (double)Stopwatch.Frequency);
        return new JoinReport(
            clients.Length,
            joined.Count(j => j),
            stats.ConnectFailures,
            stats.JoinFailures,
            stats.FirstConnectError,
            Math.Round(seconds, 2),
            Math.Round(settled, 2),
            stats.PresenceFrames,
            stats.PresenceBytes,
            stats.Connect.Summarize(),
            stats.Join.Summarize(),
            stats.ConnectAndJoin.Summarize(),
            Math.Round(cpuUsed.TotalSeconds / seconds * 100, 1),
            Rss());
    }

    private async Task<PhaseReport> SendPhaseAsync(int cycle, string name, LoadPhase phase, LoadClient[] senders, int[] members)
    {
        var phaseStats = stats.StartPhase(name, nextNumber);
        // Every generator's sockets have joined, and each counts others' messages in this phase, before any sends.
        await MeetAsync(cycle, name.Replace(' ', '-'));
        var cpu = server?.CpuTime() ?? TimeSpan.Zero;
        var generatorCpu = Process.GetCurrentProcess().TotalProcessorTime;
        var generatorPause = GC.GetTotalPauseDuration();
        var clock = Stopwatch.StartNew();
        long sent = senders.Length == 0 ? 0 : await Task.Factory.StartNew(() => Pace(phase, senders, members, clock), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        double sendSeconds = clock.Elapsed.TotalSeconds;
        phaseStats.EndNumber = nextNumber;
        await Task.Delay(TimeSpan.FromSeconds(options.Drain), cancellationToken);
        double elapsed = clock.Elapsed.TotalSeconds;
        var cpuUsed = (server?.CpuTime() ?? TimeSpan.Zero) - cpu;
        var generatorUsed = Process.GetCurrentProcess().TotalProcessorTime - generatorCpu;
        var (expected, missing, extra, incomplete) = stats.Count(phaseStats);
        if (options.Generators > 1)
        {
            // This one's sockets got only part of its messages' deliveries, and others' too: only the sums over the
            // generators can be compared (delivered against expected), by whoever ran them all.
            (missing, extra, incomplete) = (-1, -1, -1);
        }

        long delivered = Interlocked.Read(ref phaseStats.Deliveries);
        return new PhaseReport(
            name,
            phase.Rate,
            Math.Round(sendSeconds, 2),
            sent,
            Interlocked.Read(ref phaseStats.RepliesOk),
            Interlocked.Read(ref phaseStats.RepliesError),
            phaseStats.Reply.Summarize(),
            expected,
            delivered,
            missing,
            extra,
            incomplete,
            Interlocked.Read(ref phaseStats.OutOfOrderOrRepeated),
            Math.Round(delivered / sendSeconds),
            phaseStats.Delivery.Summarize(),
            Math.Round(cpuUsed.TotalSeconds / elapsed * 100, 1),
            delivered == 0 ? 0 : Math.Round(cpuUsed.TotalMilliseconds * 1000 / delivered, 2),
            Rss(),
            Math.Round(generatorUsed.TotalSeconds / elapsed * 100, 1),
            Math.Round((GC.GetTotalPauseDuration() - generatorPause).TotalMilliseconds, 1),
            phaseStats.SlowestBySecond());
    }

    // On its own thread: sends what is due every millisecond, round-robin over the senders.
    private long Pace(LoadPhase phase, LoadClient[] senders, int[] members, Stopwatch clock)
    {
        long sent = 0;
        long total = (long)Math.Ceiling(phase.Rate * phase.Seconds);
        while (sent < total && !cancellationToken.IsCancellationRequested)
        {
            long due = Math.Min(total, (long)(clock.Elapsed.TotalSeconds * phase.Rate) + 1);
            for (; sent < due; sent++)
            {
                var sender = senders[sent % senders.Length];
                long number = nextNumber++;
                // Every generator deals the same number of sockets over the same rooms: a room holds G times this one's.
                stats.ExpectDeliveries(number, members[sender.Room] * options.Generators);
                sender.SendMessage(number);
            }

            Thread.Sleep(1);
        }

        return sent;
    }

    // Each socket heartbeats once per interval, the sockets spread evenly over it.
    private async Task HeartbeatAsync(CancellationToken stop)
    {
        var tick = TimeSpan.FromMilliseconds(100);
        double perTick = clients.Length * tick.TotalSeconds / options.Heartbeat;
        double owed = 0;
        int next = 0;
        using var timer = new PeriodicTimer(tick);
        while (await timer.WaitForNextTickAsync(stop))
        {
            owed += perTick;
            for (; owed >= 1; owed--)
            {
                var client = clients[next++ % clients.Length];
                if (client.IsJoined)
                {
                    client.SendHeartbeat();
                }
            }
        }
    }

    // With several generators on one cluster: waits until every one of them got here (a file each in --barrier).
    private async Task MeetAsync(int cycle, string point)
    {
        if (options.Barrier is not { } folder)
        {
            return;
        }

        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, $"{cycle}-{point}-{options.Generator}"), "", cancellationToken);
        var clock = Stopwatch.StartNew();
        while (Directory.GetFiles(folder, $"{cycle}-{point}-*").Length < options.Generators)
        {
            await Task.Delay(100, cancellationToken);
        }

        Console.WriteLine($"[{options.Name} #{cycle}] all {options.Generators} generators {point} (waited {clock.Elapsed.TotalSeconds:F1} s)");
    }

    private double Rss() => ServerSampler.Mib(server?.ResidentBytes() ?? 0);
}

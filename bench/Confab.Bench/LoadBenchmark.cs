using System.Diagnostics;
using System.Globalization;
using Confab.Bench.Load;

namespace Confab.Bench;

/// <summary>
/// The load generator: N sockets (each its own user) dealt over rooms, joined at a ramp rate from several loopback
/// addresses, then sending phases at total rates, then idle, then leaving; it measures join, push→reply and
/// delivery latency, deliveries/s, losses and duplicates per message, and the server's RSS and CPU, and writes
/// JSON. See <see cref="LoadOptions.Help"/>.
/// </summary>
internal static class LoadBenchmark
{
    public static async Task<int> SetupAsync(BenchArgs args)
    {
        var storage = LoadStorage.FromArgs(args);
        int users = args.Number("users", 100);
        int rooms = args.Number("rooms", 10);
        int history = args.Number("history", 0);
        int memberOf = args.Number("first-user-in", 0);
        string? problem = storage.Problem(prepared: false);
        if (problem is not null || users is < 1 or > 100_000 || rooms is < 1 or > 10_000 || history is < 0 or > 10_000 || memberOf < 0 || memberOf > rooms)
        {
            await Console.Error.WriteLineAsync(
                (problem is null ? "" : problem + "\n")
                + $"usage: Confab.Bench load-setup {LoadStorage.Usage} --users N (<= 100000) --rooms R (<= 10000) [--history MESSAGES_PER_ROOM] [--first-user-in ROOMS]"
                + "\n  (--postgres: an Npgsql connection string naming an empty database)");
            return 2;
        }

        var clock = Stopwatch.StartNew();
        await LoadDatabase.CreateAsync(storage, users, rooms, history, memberOf);
        Console.WriteLine($"{storage}: {users} users, {rooms} rooms, {history} messages of history each, the first user in {memberOf} of them, in {clock.Elapsed.TotalSeconds:F1} s");
        return 0;
    }

    public static async Task<int> RunAsync(BenchArgs args)
    {
        if (args.Text("help", "") == "true")
        {
            Console.WriteLine(LoadOptions.Help);
            return 0;
        }

        var options = LoadOptions.Parse(args);
        if (options.Problem() is { } problem)
        {
            await Console.Error.WriteLineAsync(problem + "\n" + LoadOptions.Help);
            return 2;
        }

        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(options.MaxSeconds));
        var (tokens, userIds, rooms) = await LoadDatabase.ReadAsync(options.Storage, options.Secret, options.Connections, options.Rooms, options.UserOffset);
        var server = options.ServerPid > 0 ? new ProcessStats(options.ServerPid) : null;
        var machine = MachineInfo.Current();
        var generatorCpu = Process.GetCurrentProcess().TotalProcessorTime;
        Console.WriteLine($"[{options.Name}] {options.Connections} sockets in {options.Rooms} rooms of {options.RoomSize}, {options.Senders} senders; load average {machine.LoadAverageAtStart}");

        var cycles = new List<CycleReport>();
        LoadClient[] clients = [];
        await using var sampler = new ServerSampler(server, () => clients.Count(c => c.IsJoined));
        sampler.Start();
        double coldIdle = ServerSampler.Mib(server?.ResidentBytes() ?? 0);
        double idle = coldIdle;
        long acked = 0;
        try
        {
            if (options.Warmup > 0)
            {
                // The socket path's code and the runtime's pools, in memory once, are part of the server's idle size.
                var warmup = options.WarmupRun();
                var warmupStats = new LoadStats(warmup.MaxMessages, warmup.Generator);
                clients = [.. Enumerable.Range(0, warmup.Connections).Select(i => new LoadClient(i, i % warmup.Rooms, "room:" + rooms[i % warmup.Rooms], warmupStats, pending: 8, UserTopic(warmup, userIds[i])))];
                var warmupReport = await new CycleRun(warmup, server, warmupStats, clients, tokens, bound.Token).RunAsync(0, coldIdle);
                acked += warmupReport.Phases.Sum(p => p.RepliesOk); // the database holds these too
                idle = ServerSampler.Mib(server?.ResidentBytes() ?? 0);
                Console.WriteLine($"[{options.Name}] server RSS idle: {coldIdle:F0} MiB as started, {idle:F0} MiB after a warm-up of {warmup.Connections} sockets");
            }

            for (int cycle = 1; cycle <= options.Cycles; cycle++)
            {
                var stats = new LoadStats(options.MaxMessages, options.Generator);
                clients = [.. Enumerable.Range(0, options.Connections).Select(i => new LoadClient(i, i % options.Rooms, "room:" + rooms[i % options.Rooms], stats, pending: i < options.Senders ? options.PendingPerSender : 8, UserTopic(options, userIds[i])))];
                var run = new CycleRun(options, server, stats, clients, tokens, bound.Token);
                var cycleReport = await run.RunAsync(cycle, idle);
                acked += cycleReport.Phases.Sum(p => p.RepliesOk);
                cycles.Add(cycleReport);
            }
        }
        catch (OperationCanceledException) when (bound.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync($"[{options.Name}] stopped at --max-seconds {options.MaxSeconds}");
            foreach (var client in clients)
            {
                client.Dispose();
            }

            return 3;
        }

        long? stored = options.Phases.Count > 0 ? await LoadDatabase.CountMessagesAsync(options.Storage) : null;
        if (stored is not null)
        {
            Console.WriteLine($"[{options.Name}] acknowledged {acked} messages; the database holds {stored}");
        }

        var report = new LoadReport(
            options.Name,
            options.Storage.Kind,
            DateTimeOffset.UtcNow.ToString("u", System.Globalization.CultureInfo.InvariantCulture),
            machine,
            new LoadOptionsReport(
                options.Connections, options.RoomSize, options.Rooms, options.Senders, options.Phases, options.Ramp, options.Sources, options.Heartbeat, options.Cycles,
                options.Generator, options.Generators),
            cycles,
            acked,
            stored,
            coldIdle,
            Math.Round((Process.GetCurrentProcess().TotalProcessorTime - generatorCpu).TotalSeconds, 1),
            sampler.Samples);
        if (options.Out is { } path)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            await File.WriteAllTextAsync(path, report.ToJson());
            Console.WriteLine($"[{options.Name}] report: {path}");
        }

        return 0;
    }

    private static string? UserTopic(LoadOptions options, long userId) =>
        options.UserChannel ? string.Create(CultureInfo.InvariantCulture, $"user:{userId}") : null;
}

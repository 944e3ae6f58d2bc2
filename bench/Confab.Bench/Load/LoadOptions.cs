using System.Globalization;
using System.Net;

namespace Confab.Bench.Load;

/// <summary>One sending phase: a total rate in messages per second over all senders, for some seconds.</summary>
internal sealed record LoadPhase(double Rate, double Seconds);

/// <summary>
/// The options of a load run (<c>Confab.Bench load --help</c> lists them). Every run is bounded: in connections (at
/// most 19,800: this machine allows a process 20,000 open files, and .NET keeps two open per loaded assembly, about
/// 100 for the generator) and in seconds (<see cref="MaxSeconds"/>, after which the run stops itself).
/// </summary>
internal sealed record LoadOptions
{
    public const int MaxConnections = 19_800;

    public const string Help = """
        Confab.Bench load --url http://127.0.0.1:4200 (--db PATH | --postgres CONNECTION_STRING) [options]
          --name NAME          label in the report (default "load")
          --db PATH            the server's SQLite file, prepared by load-setup (users, rooms; messages are counted at the end)
          --postgres CS        or the server's PostgreSQL database (an Npgsql connection string), prepared by load-setup
          --secret S           the server's SECRET_KEY_BASE (default: the SECRET_KEY_BASE environment variable)
          --connections N      sockets, each its own user (default 100, at most 19800)
          --room-size M        members per room; sockets are dealt round-robin over ceil(N/M) rooms (default 10)
          --rooms R            or over R rooms (several generators sharing rooms: M is then their members in all)
          --user-offset U      skip the first U load users (several generators, each with users of its own)
          --generator K        this generator's number, 0 to G-1, among --generators G on one cluster (default 0 of 1):
                               message numbers are K*10^9 + n; a message from another generator counts in the delivery
                               latency (one clock on one machine), and each room's members are G times this one's
          --barrier DIR        with several generators: each waits for all the others here (a file each) when its
                               sockets have joined and again before they leave, so no one sends to a room still filling
          --senders S          sockets that send, dealt over the rooms too (default: all)
          --user-channel 1     each socket also joins its user's channel, user:<id> (default 0)
          --phases R:S[,R:S]   sending phases: total messages/s and seconds (default none)
          --ramp J             connects+joins started per second (default 250)
          --connecting C       connects in flight at most (default 1000)
          --sources K          local addresses 127.0.0.1..127.0.0.K (default 8)
          --heartbeat S        seconds between a socket's heartbeats, 0 for none (default 30)
          --settle S           most seconds to wait for presence traffic to stop after the joins (default 60)
          --drain S            seconds to wait after each phase for late deliveries (default 3)
          --hold S             seconds to hold every socket idle after the phases (default 0)
          --cycles N           join, send, hold, leave this many times (default 1)
          --leave-wait S       seconds to watch the server's memory after everyone left (default 10)
          --warmup W           first W sockets join, send one message each and leave before idle memory is sampled
                               (default 0: idle is the server as started, before its socket code ever ran)
          --server-pid PID     the server process, for its RSS and CPU from /proc
          --out FILE           write the report as JSON
          --max-seconds S      hard bound on the whole run (default 900)
        """;

    public required Uri Url { get; init; }

    /// <summary>The server's database (<c>--db</c> or <c>--postgres</c>).</summary>
    public required LoadStorage Storage { get; init; }

    public required string Secret { get; init; }

    public string Name { get; init; } = "load";

    public int Connections { get; init; } = 100;

    public int RoomSize { get; init; } = 10;

    /// <summary>Rooms set by <c>--rooms</c>; 0: ceil(connections / room size).</summary>
    public int RoomCount { get; init; }

    public int UserOffset { get; init; }

    public int Generator { get; init; }

    public int Generators { get; init; } = 1;

    /// <summary>Where several generators meet (<c>--barrier</c>); null: this one goes on alone.</summary>
    public string? Barrier { get; init; }

    /// <summary>Message numbers of one generator stay under this; generator K's start at K times it.</summary>
    public const long NumberStride = 1_000_000_000;

    public int Senders { get; init; }

    /// <summary>Each socket also joins its user's channel (<c>user:&lt;id&gt;</c>), as the web UI's sidebar does.</summary>
    public bool UserChannel { get; init; }

    public IReadOnlyList<LoadPhase> Phases { get; init; } = [];

    public double Ramp { get; init; } = 250;

    public int Connecting { get; init; } = 1000;

    public int Sources { get; init; } = 8;

    public double Heartbeat { get; init; } = 30;

    public double Settle { get; init; } = 60;

    public double Drain { get; init; } = 3;

    public double Hold { get; init; }

    public int Cycles { get; init; } = 1;

    public double LeaveWait { get; init; } = 10;

    public int Warmup { get; init; }

    public int ServerPid { get; init; }

    public string? Out { get; init; }

    public double MaxSeconds { get; init; } = 900;

    public int Rooms => RoomCount > 0 ? RoomCount : (Connections + RoomSize - 1) / RoomSize;

    public IPEndPoint Server => new(IPAddress.Parse(Url.Host), Url.Port);

    public IPAddress Source(int index) => new([127, 0, 0, (byte)(1 + (index % Sources))]);

    public static LoadOptions Parse(BenchArgs args)
    {
        string secret = args.Text("secret", Environment.GetEnvironmentVariable("SECRET_KEY_BASE") ?? "");
        var options = new LoadOptions
        {
            Url = new Uri(args.Text("url", "http://127.0.0.1:4200")),
            Storage = LoadStorage.FromArgs(args),
            Secret = secret,
            Name = args.Text("name", "load"),
            Connections = args.Number("connections", 100),
            RoomSize = args.Number("room-size", 10),
            RoomCount = args.Number("rooms", 0),
            UserOffset = args.Number("user-offset", 0),
            Generator = args.Number("generator", 0),
            Generators = args.Number("generators", 1),
            Barrier = args.Text("barrier", "") is { Length: > 0 } barrier ? barrier : null,
            Senders = args.Number("senders", 0),
            UserChannel = args.Number("user-channel", 0) != 0,
            Phases = ParsePhases(args.Text("phases", "")),
            Ramp = Real(args, "ramp", 250),
            Connecting = args.Number("connecting", 1000),
            Sources = args.Number("sources", 8),
            Heartbeat = Real(args, "heartbeat", 30),
            Settle = Real(args, "settle", 60),
            Drain = Real(args, "drain", 3),
            Hold = Real(args, "hold", 0),
            Cycles = args.Number("cycles", 1),
            LeaveWait = Real(args, "leave-wait", 10),
            Warmup = args.Number("warmup", 0),
            ServerPid = args.Number("server-pid", 0),
            Out = args.Text("out", "") is { Length: > 0 } path ? path : null,
            MaxSeconds = Real(args, "max-seconds", 900),
        };
        return options with { Senders = options.Senders <= 0 ? options.Connections : Math.Min(options.Senders, options.Connections) };
    }

    /// <summary>The first problem with these options, or null.</summary>
    public string? Problem() =>
        Storage.Problem(prepared: true) is { } storage ? storage
        : Secret.Length < 32 ? "--secret (or SECRET_KEY_BASE) must be the server's signing key"
        : !IPAddress.TryParse(Url.Host, out var host) || !IPAddress.IsLoopback(host) ? "--url must be a loopback address (127.0.0.0/8)"
        : Connections is < 1 or > MaxConnections ? $"--connections must be 1 to {MaxConnections}"
        : RoomSize < 1 || RoomCount < 0 || UserOffset < 0 ? "--room-size must be at least 1, --rooms and --user-offset not negative"
        : Generators < 1 || Generator < 0 || Generator >= Generators ? "--generator must be 0 to --generators - 1"
        : Sources is < 1 or > 250 ? "--sources must be 1 to 250"
        : Ramp <= 0 || Connecting < 1 ? "--ramp and --connecting must be positive"
        : Cycles is < 1 or > 10 ? "--cycles must be 1 to 10"
        : Warmup < 0 || Warmup > Connections ? "--warmup must be 0 to --connections"
        : MaxSeconds is <= 0 or > 3600 ? "--max-seconds must be at most 3600"
        : Phases.Any(p => p.Rate <= 0 || p.Seconds <= 0) ? "--phases wants positive RATE:SECONDS pairs"
        : null;

    /// <summary>Pushes a sender may have awaiting replies: four seconds' worth at the fastest phase, at least 16.</summary>
    public int PendingPerSender =>
        (int)Math.Clamp(System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Ceiling(Phases.Select(p => p.Rate).DefaultIfEmpty(0).Max() / Senders * 4)), 16, 1 << 16);

    /// <summary>The warm-up: the first <see cref="Warmup"/> sockets, in the same rooms, each sending one message in 2 s, then leaving.</summary>
    public LoadOptions WarmupRun() => this with
    {
        Name = Name + " warm-up",
        Connections = Warmup,
        Senders = Warmup,
        Phases = [new LoadPhase(Warmup / 2.0, 2)],
        Hold = 0,
        LeaveWait = 5,
        Cycles = 1,
        Warmup = 0,
        Barrier = null, // each generator warms its own node up
    };

    /// <summary>How many messages the phases can send at most (sizes the per-message counters).</summary>
    public long MaxMessages => (long)Phases.Sum(p => Math.Ceiling(p.Rate * p.Seconds) + 16);

    private static double Real(BenchArgs args, string name, double fallback) =>
        double.Parse(args.Text(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);

    /// <summary>"R:S,R:S" as phases (messages/s and seconds); shared with the web driver.</summary>
    internal static List<LoadPhase> ParsePhases(string text) =>
        text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(pair => pair.Split(':'))
            .Select(parts => new LoadPhase(double.Parse(parts[0], CultureInfo.InvariantCulture), double.Parse(parts[^1], CultureInfo.InvariantCulture)))
            .ToList();
}

using System.Globalization;
using System.Net;
using Confab.Bench.Load;

namespace Confab.Bench.Web;

/// <summary>
/// The options of a web run (<c>Confab.Bench web --help</c> lists them). Every run is bounded: in sessions (at most
/// 19,000 driver sessions, one socket each, under this machine's 20,000 open files per process; at most 200 Chromium
/// pages) and in seconds (<see cref="MaxSeconds"/>, after which the run stops itself).
/// </summary>
internal sealed record WebOptions
{
    public const int MaxSessions = 19_000;
    public const int MaxChromiumPages = 200;

    public const string Help = """
        Confab.Bench web --url http://127.0.0.1:4300 [options]
          --name NAME          label in the report (default "web")
          --sessions N         browser sessions, each its own user signed in through /login (default 50)
          --room-size M        sessions per room; dealt round-robin over ceil(N/M) rooms load-0001.. (default 50)
          --first-user K       session i signs in as load user K+i+1 (default 0: load00001..), to leave others to a socket run
          --rate R             messages/s in total, spread over the rooms, each sent by the room's next session (default 100)
          --seconds S          seconds of sending (default 60; 0 for none)
          --phases R:S[,R:S]   several sending phases one after another instead (total messages/s and seconds each)
          --ramp J             sessions started per second (default 25)
          --opening C          sessions opening at once at most (default 32)
          --sources K          local addresses 127.0.0.1..127.0.0.K for the WebSockets (default 8)
          --warmup W           W sessions open, send one message each and close before idle memory is sampled (default 10)
          --settle S           seconds to wait after the warm-up and after all sessions opened, before sampling memory (default 10)
          --drain S            seconds to wait after sending for late deliveries (default 5)
          --ready-file PATH    written once every session is open and memory sampled (another load can start then)
          --send-delay S       seconds between that and sending (default 0)
          --page MODE          how the server runs the room page (its Confab:Web:RoomRenderMode; start it so): server (each page
                               a Blazor Server circuit) or webassembly (prerendered, then run in the browser over the Phoenix
                               socket); the driver's sessions do what that page does, Chromium's are that page (default server)
          --chromium           real Chromium pages (/usr/bin/chromium, one browser, a context per user) instead of the driver
          --server-pid PID     the server process, for its RSS and CPU from /proc
          --out FILE           write the report as JSON
          --max-seconds S      hard bound on the whole run (default 900)
        """;

    public required Uri Url { get; init; }

    public string Name { get; init; } = "web";

    public int Sessions { get; init; } = 50;

    public int RoomSize { get; init; } = 50;

    public int FirstUser { get; init; }

    public double Rate { get; init; } = 100;

    public double Seconds { get; init; } = 60;

    /// <summary>The sending phases: <c>--phases</c>, else one of <see cref="Rate"/> for <see cref="Seconds"/> (none for 0 s).</summary>
    public IReadOnlyList<LoadPhase> Phases { get; init; } = [];

    public double Ramp { get; init; } = 25;

    public int Opening { get; init; } = 32;

    public int Sources { get; init; } = 8;

    public int Warmup { get; init; } = 10;

    public double Settle { get; init; } = 10;

    public double Drain { get; init; } = 5;

    public string? ReadyFile { get; init; }

    public double SendDelay { get; init; }

    /// <summary>What <c>--page</c> said: <c>server</c> or <c>webassembly</c> (see <see cref="Page"/>).</summary>
    public string PageText { get; init; } = "server";

    /// <summary>How the server runs the room page, and so what a driver session does (<see cref="CircuitSession"/> or <see cref="SocketPageSession"/>).</summary>
    public PageMode Page => PageText == PageName(PageMode.WebAssembly) ? PageMode.WebAssembly : PageMode.Server;

    public bool Chromium { get; init; }

    public int ServerPid { get; init; }

    public string? Out { get; init; }

    public double MaxSeconds { get; init; } = 900;

    public int Rooms => (Sessions + RoomSize - 1) / RoomSize;

    public IPEndPoint Server => new(IPAddress.Parse(Url.Host), Url.Port);

    /// <summary>How many messages the run may send (sizes the per-message counters): the phase, the warm-up, and slack.</summary>
    public int MaxMessages => (int)Phases.Sum(p => Math.Ceiling(p.Rate * p.Seconds) + 16) + Warmup + 64;

    public static WebOptions Parse(BenchArgs args)
    {
        var options = ParseOne(args);
        var phases = LoadOptions.ParsePhases(args.Text("phases", ""));
        return options with { Phases = phases.Count > 0 ? phases : options.Seconds > 0 ? [new LoadPhase(options.Rate, options.Seconds)] : [] };
    }

    private static WebOptions ParseOne(BenchArgs args) => new()
    {
        Url = new Uri(args.Text("url", "http://127.0.0.1:4300")),
        Name = args.Text("name", "web"),
        Sessions = args.Number("sessions", 50),
        RoomSize = args.Number("room-size", 50),
        FirstUser = args.Number("first-user", 0),
        Rate = Real(args, "rate", 100),
        Seconds = Real(args, "seconds", 60),
        Ramp = Real(args, "ramp", 25),
        Opening = args.Number("opening", 32),
        Sources = args.Number("sources", 8),
        Warmup = args.Number("warmup", 10),
        Settle = Real(args, "settle", 10),
        Drain = Real(args, "drain", 5),
        ReadyFile = args.Text("ready-file", "") is { Length: > 0 } ready ? ready : null,
        SendDelay = Real(args, "send-delay", 0),
        PageText = args.Text("page", "server"),
        Chromium = args.Text("chromium", "") == "true",
        ServerPid = args.Number("server-pid", 0),
        Out = args.Text("out", "") is { Length: > 0 } path ? path : null,
        MaxSeconds = Real(args, "max-seconds", 900),
    };

    /// <summary>The first problem with these options, or null.</summary>
    public string? Problem() =>
        !IPAddress.TryParse(Url.Host, out var host) || !IPAddress.IsLoopback(host) ? "--url must be a loopback address (127.0.0.0/8)"
        : Sessions < 1 || Sessions > (Chromium ? MaxChromiumPages : MaxSessions) ? $"--sessions must be 1 to {(Chromium ? MaxChromiumPages : MaxSessions)}"
        : PageText != PageName(PageMode.Server) && PageText != PageName(PageMode.WebAssembly) ? "--page must be server or webassembly"
        : RoomSize < 1 ? "--room-size must be at least 1"
        : FirstUser < 0 ? "--first-user must be 0 or more"
        : Rate <= 0 || Seconds < 0 || Phases.Any(p => p.Rate <= 0 || p.Seconds <= 0) ? "--rate and --phases' rates must be positive, seconds 0 or more"
        : Ramp <= 0 || Opening < 1 ? "--ramp and --opening must be positive"
        : Sources is < 1 or > 250 ? "--sources must be 1 to 250"
        : Warmup < 0 || Warmup > Sessions ? "--warmup must be 0 to --sessions"
        : MaxSeconds is <= 0 or > 3600 ? "--max-seconds must be at most 3600"
        : null;

    /// <summary>A page mode as <c>--page</c>, the reports and the page's component markers name it.</summary>
    public static string PageName(PageMode mode) => mode == PageMode.WebAssembly ? "webassembly" : "server";

    public static string RoomSlug(int room) => Load.LoadDatabase.RoomPrefix + (room + 1).ToString("D4", CultureInfo.InvariantCulture);

    public string UserName(int session) => "load" + (FirstUser + session + 1).ToString("D5", CultureInfo.InvariantCulture);

    private static double Real(BenchArgs args, string name, double fallback) =>
        double.Parse(args.Text(name, fallback.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture);
}

/// <summary>How the server runs the room page (its <c>Confab:Web:RoomRenderMode</c>).</summary>
internal enum PageMode
{
    /// <summary>Each page a Blazor Server circuit.</summary>
    Server,

    /// <summary>Prerendered, then run in the browser on WebAssembly over the Phoenix socket.</summary>
    WebAssembly,
}

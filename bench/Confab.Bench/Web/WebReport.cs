using System.Text.Json;
using Confab.Bench.Load;

namespace Confab.Bench.Web;

/// <summary>
/// The JSON a web run writes: how sessions opened, the server's memory per session, the sending phase, losses. Mode is who
/// drove the pages (driver or chromium), Page how the server ran them (server or webassembly, <c>--page</c>). In
/// WebAssembly mode a session's "render batches" are the socket frames that reached its page, and circuits lost are
/// sockets lost.
/// </summary>
internal sealed record WebReport(
    string Name,
    string StartedAt,
    string Mode,
    string Page,
    MachineInfo Machine,
    WebOptionsReport Options,
    WebOpenReport Open,
    WebMemoryReport Memory,
    List<WebPhaseReport> Phases,
    long CircuitsLost,
    long CircuitErrors,
    string? FirstError,
    double ServerRssAfterLeavingMiB,
    double ManagedHeapAtStartMiB,
    double GeneratorCpuSeconds,
    List<ServerSample> Timeline)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}

/// <summary>The run's shape: sessions, rooms, sending phases and how sessions were opened.</summary>
internal sealed record WebOptionsReport(int Sessions, int RoomSize, int Rooms, IReadOnlyList<LoadPhase> Phases, double Ramp, int Opening, int Warmup);

/// <summary>Opening every session: how many, how long, the open latency (sign-in to first render) and the server's CPU meanwhile.</summary>
internal sealed record WebOpenReport(int Attempted, int Opened, long Failures, double Seconds, LatencySummary Latency, double ServerCpuPercent, double ServerRssMiB);

/// <summary>
/// Server memory idle and with every session open; per session = the difference over the sessions open. The managed heap
/// is as the last collection left it: with no collection between the two readings (<see cref="HeapCollectionsBetween"/>
/// 0, as when opening sessions allocates little) the open reading predates the sessions and the heap per session means
/// nothing.
/// </summary>
internal sealed record WebMemoryReport(
    double ColdIdleMiB,
    double IdleMiB,
    double OpenMiB,
    int SessionsOpen,
    double RssPerSessionKiB,
    double HeapIdleMiB,
    double HeapOpenMiB,
    double HeapPerSessionKiB,
    double? HeapCollectionsBetween,
    double CircuitsActive,
    double SocketsActive);

/// <summary>One sending phase: what was sent and delivered, latencies, and the server's and the generator's cost.</summary>
internal sealed record WebPhaseReport(
    double OfferedRate,
    double Seconds,
    long Sent,
    long SendFailures,
    long ExpectedDeliveries,
    long Delivered,
    long Missing,
    long Extra,
    LatencySummary Delivery,
    LatencySummary OwnEcho,
    LatencySummary DeliveryByDevTools,
    double ServerCpuPercent,
    double ServerRssMiB,
    double GeneratorCpuPercent,
    double BrowserCpuPercent,
    long RenderBatches,
    long RenderBytes,
    double? ServerGcPauseSeconds,
    double? ServerGcCollections,
    double? ServerMessagesAccepted);

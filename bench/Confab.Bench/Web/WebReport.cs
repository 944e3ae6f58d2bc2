using System.Globalization;
using System.Text.Json;
using Confab.Bench.Load;

namespace Confab.Bench.Web;

/// <summary>The JSON a web run writes: how sessions opened, the server's memory per session, the sending phase, losses.</summary>
internal sealed record WebReport(
    string Name,
    string StartedAt,
    string Mode,
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

internal sealed record WebOptionsReport(int Sessions, int RoomSize, int Rooms, IReadOnlyList<LoadPhase> Phases, double Ramp, int Opening, int Warmup);

internal sealed record WebOpenReport(int Attempted, int Opened, long Failures, double Seconds, LatencySummary Latency, double ServerCpuPercent, double ServerRssMiB);

/// <summary>Server memory idle and with every session open; per session = the difference over the sessions open.</summary>
internal sealed record WebMemoryReport(
    double ColdIdleMiB,
    double IdleMiB,
    double OpenMiB,
    int SessionsOpen,
    double RssPerSessionKiB,
    double HeapIdleMiB,
    double HeapOpenMiB,
    double HeapPerSessionKiB,
    double CircuitsActive);

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
    double ServerGcPauseSeconds,
    double ServerGcCollections,
    double ServerMessagesAccepted);

/// <summary>
/// What the server's <c>/metrics</c> says of its memory, collections and circuits: the managed heap after the last
/// collection (<c>dotnet_gc_last_collection_heap_size_bytes</c>, summed over generations), the time paused for
/// collections and their count so far, and the active circuits (<c>aspnetcore_components_circuit_active…</c>). Zero when
/// the endpoint or the series is missing.
/// </summary>
internal sealed record ServerMetrics(double HeapMiB, double Circuits, double GcPauseSeconds, double GcCollections, double MessagesAccepted)
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    public static async Task<ServerMetrics> ReadAsync(Uri server)
    {
        string text;
        try
        {
            text = await Http.GetStringAsync(new Uri(server, "/metrics"));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return new ServerMetrics(0, 0, 0, 0, 0); // an overloaded server may not answer in time: no numbers, not a failed run
        }

        double heap = 0, circuits = 0, pause = 0, collections = 0, accepted = 0;
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith("dotnet_gc_last_collection_heap_size_bytes", StringComparison.Ordinal))
            {
                heap += Value(line);
            }
            else if (line.StartsWith("aspnetcore_components_circuit_active", StringComparison.Ordinal))
            {
                circuits += Value(line);
            }
            else if (line.StartsWith("dotnet_gc_pause_time_seconds_total", StringComparison.Ordinal))
            {
                pause += Value(line);
            }
            else if (line.StartsWith("dotnet_gc_collections_total", StringComparison.Ordinal))
            {
                collections += Value(line);
            }
            else if (line.StartsWith("confab_messages_accepted_total", StringComparison.Ordinal))
            {
                accepted += Value(line);
            }
        }

        return new ServerMetrics(ServerSampler.Mib((long)heap), circuits, Math.Round(pause, 2), collections, accepted);
    }

    private static double Value(string line) =>
        double.TryParse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries) is { Length: >= 2 } parts ? parts[1] : "", NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : 0;
}

using System.Globalization;
using Confab.Bench.Load;

namespace Confab.Bench.Web;

/// <summary>
/// What the server's <c>/metrics</c> says of its memory, collections, circuits and sockets: the managed heap after the
/// last collection (<c>dotnet_gc_last_collection_heap_size_bytes</c>, summed over generations), the time paused for
/// collections and their count so far, the active circuits (<c>aspnetcore_components_circuit_active…</c>) and open
/// Phoenix sockets (<c>confab_channels_sockets_active</c>: the room page's in WebAssembly mode). Zero when
/// the series is missing; <see cref="Answered"/> false when the endpoint did not answer.
/// </summary>
internal sealed record ServerMetrics(double HeapMiB, double Circuits, double GcPauseSeconds, double GcCollections, double MessagesAccepted, double Sockets)
{
    public bool Answered { get; init; } = true;

    /// <summary>How much <paramref name="value"/> grew from <paramref name="before"/> to <paramref name="after"/>; null unless both answered.</summary>
    public static double? Growth(ServerMetrics before, ServerMetrics after, Func<ServerMetrics, double> value) =>
        before.Answered && after.Answered ? Math.Round(value(after) - value(before), 2) : null;

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
            return new ServerMetrics(0, 0, 0, 0, 0, 0) { Answered = false }; // an overloaded server may not answer in time: no numbers, not a failed run
        }

        double heap = 0, circuits = 0, pause = 0, collections = 0, accepted = 0, sockets = 0;
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
            else if (line.StartsWith("confab_channels_sockets_active", StringComparison.Ordinal))
            {
                sockets += Value(line);
            }
        }

        return new ServerMetrics(ServerSampler.Mib((long)heap), circuits, Math.Round(pause, 2), collections, accepted, sockets);
    }

    private static double Value(string line) =>
        double.TryParse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries) is { Length: >= 2 } parts ? parts[1] : "", NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : 0;
}

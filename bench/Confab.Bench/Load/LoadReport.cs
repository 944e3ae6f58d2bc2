using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Confab.Bench.Load;

/// <summary>The JSON a load run writes: the machine, the options, and per cycle the joins, the phases and memory.</summary>
internal sealed record LoadReport(
    string Name,
    string Storage,
    string StartedAt,
    MachineInfo Machine,
    LoadOptionsReport Options,
    List<CycleReport> Cycles,
    long AckedTotal,
    long? MessagesInDatabase,
    double ColdIdleMiB,
    double GeneratorCpuSeconds,
    List<ServerSample> Timeline)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public string ToJson() => JsonSerializer.Serialize(this, Json);
}

internal sealed record MachineInfo(int Cores, string LoadAverageAtStart, string Runtime, string Os)
{
    public static MachineInfo Current() => new(
        Environment.ProcessorCount,
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "",
        System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
        System.Runtime.InteropServices.RuntimeInformation.OSDescription);
}

internal sealed record LoadOptionsReport(
    int Connections, int RoomSize, int Rooms, int Senders, IReadOnlyList<LoadPhase> Phases, double Ramp, int Sources, double Heartbeat, int Cycles,
    int Generator, int Generators);

internal sealed record CycleReport(int Cycle, JoinReport Join, List<PhaseReport> Phases, MemoryReport Memory);

internal sealed record JoinReport(
    int Attempted,
    int Joined,
    long ConnectFailures,
    long JoinFailures,
    string? FirstError,
    double Seconds,
    double PresenceSettledSeconds,
    long PresenceFrames,
    long PresenceBytes,
    LatencySummary Connect,
    LatencySummary Join,
    LatencySummary ConnectAndJoin,
    double ServerCpuPercent,
    double ServerRssMiB);

internal sealed record PhaseReport(
    string Name,
    double OfferedRate,
    double Seconds,
    long Sent,
    long RepliesOk,
    long RepliesError,
    LatencySummary PushToReply,
    long ExpectedDeliveries,
    long Delivered,
    long Missing,
    long Extra,
    long MessagesIncomplete,
    long OutOfOrderOrRepeated,
    double DeliveriesPerSecond,
    LatencySummary Delivery,
    double ServerCpuPercent,
    double ServerCpuMicrosPerDelivery,
    double ServerRssMiB,
    double GeneratorCpuPercent,
    double GeneratorGcPauseMs,
    List<double[]> SlowestDeliveryBySecond);

internal sealed record MemoryReport(double IdleMiB, double JoinedMiB, double BeforeLeaveMiB, double AfterLeaveMiB, double AfterLeaveVersusIdle);

internal sealed record ServerSample(double Seconds, double RssMiB, double CpuPercent, int Connected);

/// <summary>Samples the server's RSS and CPU once a second for the run's timeline.</summary>
internal sealed class ServerSampler(ProcessStats? server, Func<int> connected) : IAsyncDisposable
{
    private readonly List<ServerSample> samples = [];
    private readonly CancellationTokenSource stop = new();
    private readonly Stopwatch clock = Stopwatch.StartNew();
    private Task? loop;

    public List<ServerSample> Samples
    {
        get
        {
            lock (samples)
            {
                return [.. samples];
            }
        }
    }

    public void Start() => loop = server is null ? Task.CompletedTask : Task.Run(RunAsync);

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        if (loop is not null)
        {
            await loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        stop.Dispose();
    }

    private async Task RunAsync()
    {
        TimeSpan lastCpu = server!.CpuTime();
        double lastAt = clock.Elapsed.TotalSeconds;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (await timer.WaitForNextTickAsync(stop.Token))
        {
            TimeSpan cpu = server.CpuTime();
            double at = clock.Elapsed.TotalSeconds;
            var sample = new ServerSample(
                Math.Round(at, 1), Mib(server.ResidentBytes()), Math.Round((cpu - lastCpu).TotalSeconds / (at - lastAt) * 100, 1), connected());
            lock (samples)
            {
                samples.Add(sample);
            }

            (lastCpu, lastAt) = (cpu, at);
        }
    }

    public static double Mib(long bytes) => Math.Round(bytes / 1024.0 / 1024.0, 1);

    public static string Format(double value) => value.ToString("F1", CultureInfo.InvariantCulture);
}

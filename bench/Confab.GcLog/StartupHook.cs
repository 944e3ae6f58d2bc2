using System.Globalization;

/// <summary>
/// A startup hook that logs every garbage collection of the process it is loaded into: when, which generation, whether
/// it compacted or ran in the background, its pauses, what it promoted and the heap after it. For finding where a
/// server's latency tail comes from without changing the server:
/// <c>DOTNET_STARTUP_HOOKS=bench/Confab.GcLog/bin/Release/net10.0/Confab.GcLog.dll CONFAB_GCLOG=/tmp/gc.log dotnet Confab.dll</c>.
/// It polls every 10 ms, so of two collections within one poll only the later is seen.
/// </summary>
#pragma warning disable CA1050, CA1812 // The runtime finds the hook by this exact name, in no namespace, and calls it by reflection.
internal static class StartupHook
#pragma warning restore CA1050, CA1812
{
    public static void Initialize()
    {
        string path = Environment.GetEnvironmentVariable("CONFAB_GCLOG") ?? Path.Combine(Path.GetTempPath(), "confab-gc.log");
        new Thread(() => Poll(path)) { IsBackground = true, Name = "gc log" }.Start();
        if (Environment.GetEnvironmentVariable("CONFAB_GCEVENTS") is { Length: > 0 } events)
        {
            s_events = new GcEventLog(events);
        }
    }

    private static GcEventLog? s_events;

    private static void Poll(string path)
    {
        using var log = new StreamWriter(path, append: false) { AutoFlush = true };
        log.WriteLine("utc,index,generation,compacted,background,pause1_ms,pause2_ms,promoted_mib,heap_mib");
        long last = 0;
        while (true)
        {
            GCMemoryInfo info = GC.GetGCMemoryInfo(GCKind.Any);
            if (info.Index != last)
            {
                last = info.Index;
                ReadOnlySpan<TimeSpan> pauses = info.PauseDurations;
                log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{DateTime.UtcNow:HH:mm:ss.fff},{info.Index},{info.Generation},{info.Compacted},{info.Concurrent},{pauses[0].TotalMilliseconds:F1},{pauses[1].TotalMilliseconds:F1},{info.PromotedBytes >> 20},{info.HeapSizeBytes >> 20}"));
            }

            Thread.Sleep(10);
        }
    }
}

/// <summary>
/// With <c>CONFAB_GCEVENTS=/tmp/gc-events.csv</c>: the runtime's GC events as they happen (start and end of each
/// collection, suspension, and the mark stages, whose times show where a pause goes: stacks, finalization queue,
/// handles, older generations' cards), one line each with the event's timestamp.
/// </summary>
internal sealed class GcEventLog : System.Diagnostics.Tracing.EventListener
{
    private readonly StreamWriter _log;

    public GcEventLog(string path)
    {
        _log = new StreamWriter(path, append: false) { AutoFlush = true };
        _log.WriteLine("time,event,detail");
    }

    protected override void OnEventSourceCreated(System.Diagnostics.Tracing.EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, System.Diagnostics.Tracing.EventLevel.Verbose, (System.Diagnostics.Tracing.EventKeywords)0x1);
        }
    }

    protected override void OnEventWritten(System.Diagnostics.Tracing.EventWrittenEventArgs e)
    {
        if (_log is null)
        {
            return;
        }

        string detail = e.EventName switch
        {
            "GCStart_V2" => $"gen={e.Payload![1]} reason={e.Payload[2]} type={e.Payload[3]}",
            "GCMarkWithType" => $"type={e.Payload![2]} bytes={e.Payload[3]}",
            "GCAllocationTick_V4" => $"type={e.Payload![e.PayloadNames!.IndexOf("TypeName")]} bytes={e.Payload[e.PayloadNames.IndexOf("AllocationAmount64")]}",
            "FinalizeObject" => string.Join(' ', e.PayloadNames!.Zip(e.Payload!, (n, v) => $"{n}={v}")),
            "GCHeapStats_V2" => $"gen0={e.Payload![0]} gen1={e.Payload[2]} gen2={e.Payload[4]} loh={e.Payload[6]} handles={e.Payload[12]} pinned={e.Payload[10]}",
            _ => "",
        };
        lock (_log)
        {
            _log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{e.TimeStamp:HH:mm:ss.ffffff},{e.EventName},{detail}"));
        }
    }
}

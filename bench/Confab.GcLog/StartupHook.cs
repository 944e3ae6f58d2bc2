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
    }

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

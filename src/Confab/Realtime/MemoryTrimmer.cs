using System.Runtime.InteropServices;
using Confab.Channels;
using Microsoft.Extensions.Options;

namespace Confab.Realtime;

/// <summary>
/// Gives memory back after load. Every <see cref="SocketCapacityOptions.TrimInterval"/> it trims Kestrel's buffer pools
/// (blocks no connection needed through the interval go). And when the open sockets have fallen below half their peak,
/// by at least <see cref="SocketCapacityOptions.TrimAfterDrop"/>, and stayed there for one interval (a deploy, a network
/// blip, the end of an event), it releases every pooled buffer (Kestrel's, and the channels' large frames) and the
/// database's caches, and runs one aggressive, compacting GC: what those sockets held is garbage the GC would otherwise
/// keep committed until allocation resumes, which on an idle server is never.
/// </summary>
internal sealed partial class MemoryTrimmer(
    ChannelsMetrics sockets,
    BufferPoolFactory buffers,
    Storage.ISqlExecutor database,
    IOptions<SocketCapacityOptions> options,
    TimeProvider time,
    ILogger<MemoryTrimmer> logger) : BackgroundService
{
    // Aggressive collections at least this many intervals apart, however the sockets come and go.
    private const int MinIntervalsBetween = 5;

    private long _peak;
    private bool _dropSeen;
    private long? _lastCollection;

    /// <summary>Aggressive collections run so far.</summary>
    public int Collections { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.TrimInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                Check();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>One check: trims the pools, and collects after a lasting drop in sockets.</summary>
    internal void Check()
    {
        long open = sockets.ActiveSockets;
        _peak = Math.Max(_peak, open);
        bool dropped = _peak - open >= Math.Max(options.Value.TrimAfterDrop, (_peak + 1) / 2);

        // Collect on the second check that sees the drop (sockets that are closing still hold their buffers at the first),
        // and not within five intervals of the last collection.
        bool collect = dropped && _dropSeen
            && (_lastCollection is not { } last || time.GetElapsedTime(last) >= options.Value.TrimInterval * MinIntervalsBetween);
        _dropSeen = dropped;
        if (!collect)
        {
            buffers.Trim(all: false);
            return;
        }

        int released = buffers.Trim(all: true);
        ChannelsMemory.ReleasePooledFrames();
        database.ReleaseMemory();
        long before = GC.GetTotalMemory(forceFullCollection: false);
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        NativeHeap.Trim();
        Collections++;
        _lastCollection = time.GetTimestamp();
        long after = GC.GetTotalMemory(forceFullCollection: false);
        LogCollected(logger, _peak, open, released, before >> 20, after >> 20);
        _peak = open;
        _dropSeen = false;
    }

    /// <summary>
    /// glibc's <c>malloc_trim(0)</c>: the C heap keeps memory freed by native code (the runtime's own structures, SQLite,
    /// the sockets' native state) until told to return it. Nothing on other C libraries.
    /// </summary>
    private static class NativeHeap
    {
        private static bool s_unavailable = !OperatingSystem.IsLinux();

        public static void Trim()
        {
            if (s_unavailable)
            {
                return;
            }

            try
            {
                _ = MallocTrim(0); // 1 if memory was returned, 0 if there was none to return
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                s_unavailable = true; // musl and others have no malloc_trim
            }
        }

        [DllImport("libc", EntryPoint = "malloc_trim")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        private static extern int MallocTrim(nuint pad);
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Information,
        Message = "Open sockets fell from {Peak} to {Open}: released {Blocks} pooled buffers and compacted the heap ({Before} MiB -> {After} MiB).")]
    private static partial void LogCollected(ILogger logger, long peak, long open, int blocks, long before, long after);
}

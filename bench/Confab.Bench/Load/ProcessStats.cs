using System.Globalization;

namespace Confab.Bench.Load;

/// <summary>Another process's resident memory and CPU time, read from /proc (Linux).</summary>
public sealed class ProcessStats(int pid)
{
    private static readonly double TicksPerSecond = 100; // USER_HZ on Linux

    public long ResidentBytes()
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }

    /// <summary>User plus system CPU time so far (zero once the process is gone).</summary>
    public TimeSpan CpuTime() => Fields(pid) is { } fields ? TimeSpan.FromSeconds(Ticks(fields) / TicksPerSecond) : TimeSpan.Zero;

    /// <summary>
    /// CPU time so far of every live process descended from this one (a browser the generator launched, with its renderers),
    /// not counting this one.
    /// </summary>
    public TimeSpan DescendantsCpuTime()
    {
        var parents = new Dictionary<int, (int Parent, long Ticks)>();
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(folder), CultureInfo.InvariantCulture, out int id) && Fields(id) is { } fields)
            {
                parents[id] = (int.Parse(fields[1], CultureInfo.InvariantCulture), Ticks(fields));
            }
        }

        long total = 0;
        foreach (var (id, (_, ticks)) in parents)
        {
            for (int up = parents[id].Parent; up > 1 && parents.TryGetValue(up, out var next); up = next.Parent)
            {
                if (up == pid)
                {
                    total += ticks;
                    break;
                }
            }
        }

        return TimeSpan.FromSeconds(total / TicksPerSecond);
    }

    // The fields of /proc/PID/stat after the command name (state first), or null when the process is gone.
    private static string[]? Fields(int id)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{id}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static long Ticks(string[] fields) =>
        long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
}

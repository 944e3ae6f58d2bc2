using System.Diagnostics;
using System.Numerics;

namespace Confab.Bench.Load;

/// <summary>
/// Latencies in microseconds, log-linear buckets (exact below 128 µs, then 64 buckets per power of two: under 1.6%
/// error), in 16 stripes picked by thread so that recording threads seldom share a cache line. Read it after the
/// recording threads are done with it.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int Linear = 128;
    private const int PerPowerOfTwo = 64;
    private const int Buckets = Linear + ((63 - 7) * PerPowerOfTwo);

    private const int Stripes = 16;

    private readonly long[][] stripes = [.. Enumerable.Range(0, Stripes).Select(_ => new long[Buckets])];

    /// <summary>Records the time elapsed since a <see cref="Stopwatch"/> timestamp.</summary>
    public void RecordSince(long startTimestamp, long nowTimestamp) =>
        Record((nowTimestamp - startTimestamp) * 1_000_000 / Stopwatch.Frequency);

    public void Record(long microseconds) =>
        Interlocked.Increment(ref stripes[Environment.CurrentManagedThreadId % Stripes][Index(Math.Max(0, microseconds))]);

    public LatencySummary Summarize()
    {
        var merged = new long[Buckets];
        foreach (var perThread in stripes)
        {
            for (int i = 0; i < Buckets; i++)
            {
                merged[i] += perThread[i];
            }
        }

        long total = merged.Sum();
        return new LatencySummary(
            total,
            Percentile(merged, total, 0.50),
            Percentile(merged, total, 0.90),
            Percentile(merged, total, 0.99),
            Percentile(merged, total, 0.999),
            Percentile(merged, total, 1.0));
    }

    private static int Index(long value)
    {
        if (value < Linear)
        {
            return (int)value;
        }

        int exponent = 63 - BitOperations.LeadingZeroCount((ulong)value); // >= 7
        int shift = exponent - 6;
        return Linear + ((exponent - 7) * PerPowerOfTwo) + (int)((value >> shift) - PerPowerOfTwo);
    }

    // The upper edge of the bucket, in milliseconds.
    private static double UpperMs(int index)
    {
        if (index < Linear)
        {
            return index / 1000.0;
        }

        int exponent = ((index - Linear) / PerPowerOfTwo) + 7;
        long mantissa = ((index - Linear) % PerPowerOfTwo) + PerPowerOfTwo;
        return (((mantissa + 1) << (exponent - 6)) - 1) / 1000.0;
    }

    private static double Percentile(long[] counts, long total, double p)
    {
        if (total == 0)
        {
            return 0;
        }

        long rank = Math.Max(1, (long)Math.Ceiling(p * total));
        long seen = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            seen += counts[i];
            if (seen >= rank)
            {
                return Math.Round(UpperMs(i), 3);
            }
        }

        return Math.Round(UpperMs(counts.Length - 1), 3);
    }
}

/// <summary>A latency distribution in milliseconds.</summary>
internal sealed record LatencySummary(long Count, double P50, double P90, double P99, double P999, double Max)
{
    public override string ToString() => $"p50 {P50:F1} p90 {P90:F1} p99 {P99:F1} p99.9 {P999:F1} max {Max:F1} ms (n={Count})";
}

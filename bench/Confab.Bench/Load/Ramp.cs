using System.Diagnostics;

namespace Confab.Bench.Load;

/// <summary>
/// Starts one task per item at a steady rate, with at most so many running at once: how the generators open their
/// connections (sockets joining, browser sessions opening), so that the server sees a ramp and not a stampede.
/// </summary>
internal static class Ramp
{
    /// <summary>Starts <paramref name="start"/>(i) for i in [0, count) at <paramref name="perSecond"/>, <paramref name="inFlight"/> at once at most; their results.</summary>
    public static async Task<bool[]> RunAsync(int count, double perSecond, int inFlight, Func<int, Task<bool>> start, CancellationToken cancellationToken, Action<int>? started = null)
    {
        var clock = Stopwatch.StartNew();
        using var slots = new SemaphoreSlim(inFlight);
        var results = new Task<bool>[count];
        for (int i = 0; i < count; i++)
        {
            var due = TimeSpan.FromSeconds(i / perSecond) - clock.Elapsed;
            if (due > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(due, cancellationToken);
            }

            await slots.WaitAsync(cancellationToken);
            int index = i;
            results[i] = Task.Run(async () =>
            {
                try
                {
                    return await start(index);
                }
                finally
                {
                    slots.Release();
                }
            }, CancellationToken.None);
            started?.Invoke(i);
        }

        return await Task.WhenAll(results);
    }
}

using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Confab.Rooms;

/// <summary>Forwards at most one typing notice per user per room per <see cref="RoomActivityOptions.TypingInterval"/>, across the user's sockets and pages.</summary>
public sealed class TypingThrottle(TimeProvider time, IOptions<RoomActivityOptions> options)
{
    private const int SweepAbove = 10_000;
    private readonly ConcurrentDictionary<(long User, long Room), long> lastPassed = new();
    private readonly long interval = (long)(options.Value.TypingInterval.TotalSeconds * time.TimestampFrequency);

    public bool TryPass(long userId, long roomId)
    {
        var now = time.GetTimestamp();
        var key = (userId, roomId);
        while (true)
        {
            if (!lastPassed.TryGetValue(key, out var last))
            {
                if (lastPassed.TryAdd(key, now))
                {
                    Sweep(now);
                    return true;
                }

                continue;
            }

            if (now - last < interval)
            {
                return false;
            }

            if (lastPassed.TryUpdate(key, now, last))
            {
                return true;
            }
        }
    }

    // Entries older than the interval carry no information: drop them when many pile up.
    private void Sweep(long now)
    {
        if (lastPassed.Count <= SweepAbove)
        {
            return;
        }

        foreach (var (key, last) in lastPassed)
        {
            if (now - last >= interval)
            {
                lastPassed.TryRemove(new KeyValuePair<(long, long), long>(key, last));
            }
        }
    }
}

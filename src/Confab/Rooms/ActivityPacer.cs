namespace Confab.Rooms;

/// <summary>
/// Paces <c>room_activity</c>: per user and room, the first notice goes at once, and those that follow within
/// <see cref="Interval"/> fold into one at its end (<paramref name="flush"/>, which sends the counts as they are then).
/// A busy room costs each member's devices a notice a second at most, not one per message; the counts arrive all the same.
/// </summary>
public sealed class ActivityPacer(TimeProvider time, Action<long, long, long> flush) : IDisposable
{
    /// <summary>The least time between two <c>room_activity</c> notices of one user and room.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly Lock gate = new();
    private readonly Dictionary<(long User, long Room), Entry> entries = [];
    private ITimer? timer;
    private bool ticking;

    private sealed class Entry(long sentAt)
    {
        public long SentAt = sentAt;

        // The newest seq folded in since the last notice; 0 when none waits.
        public long DueSeq;
    }

    /// <summary>
    /// Whether a notice for <paramref name="seq"/> goes now: true when none went within the interval (or when
    /// <paramref name="now"/> asks for it, for a mention); otherwise it is folded into the one at the interval's end.
    /// </summary>
    public bool Admit(long userId, long roomId, long seq, bool now = false)
    {
        var at = time.GetTimestamp();
        lock (gate)
        {
            if (entries.TryGetValue((userId, roomId), out var entry))
            {
                if (!now && time.GetElapsedTime(entry.SentAt, at) < Interval)
                {
                    entry.DueSeq = Math.Max(entry.DueSeq, seq);
                    return false;
                }

                entry.SentAt = at;
                entry.DueSeq = 0;
            }
            else
            {
                entries[(userId, roomId)] = new Entry(at);
            }

            Tick();
            return true;
        }
    }

    // Under the lock: the timer runs while anything is remembered.
    private void Tick()
    {
        if (ticking)
        {
            return;
        }

        ticking = true;
        timer ??= time.CreateTimer(static state => ((ActivityPacer)state!).OnTimer(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        timer.Change(Interval / 4, Interval / 4);
    }

    private void OnTimer()
    {
        var at = time.GetTimestamp();
        List<(long User, long Room, long Seq)>? due = null;
        lock (gate)
        {
            List<(long, long)>? idle = null;
            foreach (var (key, entry) in entries)
            {
                if (time.GetElapsedTime(entry.SentAt, at) < Interval)
                {
                    continue;
                }

                if (entry.DueSeq > 0)
                {
                    (due ??= []).Add((key.User, key.Room, entry.DueSeq));
                    entry.SentAt = at;
                    entry.DueSeq = 0;
                }
                else
                {
                    (idle ??= []).Add(key);
                }
            }

            foreach (var key in idle ?? [])
            {
                entries.Remove(key);
            }

            if (entries.Count == 0)
            {
                ticking = false;
                timer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
        }

        foreach (var (user, room, seq) in due ?? [])
        {
            flush(user, room, seq);
        }
    }

    public void Dispose() => timer?.Dispose();
}

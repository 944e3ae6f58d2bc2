namespace Confab.Bench.Web;

/// <summary>
/// What one session sent and has seen of the run's marked messages (<see cref="SessionContext.Marker"/>): a message
/// counts as the session's own echo when it sent it, else as a delivery to it; <see cref="Saw"/> counts each message once.
/// </summary>
internal sealed class MessageArrivals(WebStats stats)
{
    private readonly HashSet<long> seen = [];
    private readonly HashSet<long> mine = [];

    /// <summary>This session is sending message <paramref name="number"/> (before it is sent: its echo may come at once).</summary>
    public void Sending(long number)
    {
        lock (mine)
        {
            mine.Add(number);
        }
    }

    public bool IsMine(long number)
    {
        lock (mine)
        {
            return mine.Contains(number);
        }
    }

    /// <summary>Records each of <paramref name="numbers"/> not seen before as arrived now; from one receiving thread at a time.</summary>
    public void Saw(List<long> numbers, long atMicros)
    {
        foreach (long number in numbers)
        {
            if (seen.Add(number))
            {
                Count(number, atMicros);
            }
        }
    }

    /// <summary>Records message <paramref name="number"/> as arrived at <paramref name="atMicros"/>: echoed if this session sent it, else delivered.</summary>
    public void Count(long number, long atMicros)
    {
        if (IsMine(number))
        {
            stats.Echoed(number, atMicros);
        }
        else
        {
            stats.Delivered(number, atMicros);
        }
    }
}

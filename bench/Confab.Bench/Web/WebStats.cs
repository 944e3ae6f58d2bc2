using Confab.Bench.Load;

namespace Confab.Bench.Web;

/// <summary>
/// What a web run observed, from every session at once: how long sessions took to open and why some did not, and per
/// message its send time and how many sessions of its room saw it arrive (so losses and repeats are counted), with the
/// delivery latency of each arrival. Times are microseconds on one clock per run: the driver's <c>Stopwatch</c>, or for
/// Chromium pages the pages' wall clock (<c>performance.timeOrigin + performance.now()</c>), the same clock on one machine.
/// </summary>
internal sealed class WebStats(int maxMessages)
{
    private readonly long[] sentAt = new long[maxMessages];
    private readonly int[] expected = new int[maxMessages];
    private readonly int[] received = new int[maxMessages];
    private readonly long[] sentAtNetwork = new long[maxMessages];
    private long openFailures;
    private long circuitsLost;
    private long circuitErrors;
    private long sendFailures;
    private long renderBatches;
    private long renderBytes;
    private long interopCalls;
    private string? firstError;

    private WebPhaseStats[] phases = [];

    public LatencyHistogram Open { get; } = new();

    public long OpenFailures => Interlocked.Read(ref openFailures);

    public long CircuitsLost => Interlocked.Read(ref circuitsLost);

    public long CircuitErrors => Interlocked.Read(ref circuitErrors);

    public long SendFailures => Interlocked.Read(ref sendFailures);

    public long RenderBatches => Interlocked.Read(ref renderBatches);

    public long RenderBytes => Interlocked.Read(ref renderBytes);

    public long InteropCalls => Interlocked.Read(ref interopCalls);

    public string? FirstError => firstError;

    public int MaxMessages => sentAt.Length;

    public void OpenFailed(string error)
    {
        Interlocked.Increment(ref openFailures);
        Interlocked.CompareExchange(ref firstError, error, null);
    }

    /// <summary>An open circuit ended: its connection closed, or the server reported a circuit error (<paramref name="error"/>).</summary>
    public void CircuitLost(string? error)
    {
        Interlocked.Increment(ref circuitsLost);
        if (error is not null)
        {
            Interlocked.Increment(ref circuitErrors);
            Interlocked.CompareExchange(ref firstError, "circuit error: " + error, null);
        }
    }

    public void SendFailed() => Interlocked.Increment(ref sendFailures);

    public void RenderBatch(int bytes)
    {
        Interlocked.Increment(ref renderBatches);
        Interlocked.Add(ref renderBytes, bytes);
    }

    public void InteropCall() => Interlocked.Increment(ref interopCalls);

    /// <summary>A sending phase whose messages are numbered from <paramref name="firstNumber"/> on.</summary>
    public WebPhaseStats StartPhase(long firstNumber)
    {
        var phase = new WebPhaseStats(firstNumber);
        Volatile.Write(ref phases, [.. phases, phase]);
        return phase;
    }

    /// <summary>Message <paramref name="number"/> is being sent now; <paramref name="receivers"/> other sessions should see it.</summary>
    public void Sent(long number, long atMicros, int receivers)
    {
        expected[number] = receivers;
        Volatile.Write(ref sentAt[number], atMicros);
    }

    /// <summary>
    /// A Chromium page's frame carrying message <paramref name="number"/>'s input event was sent (the DevTools protocol's
    /// frame event and clock): the start of <see cref="WebPhaseStats.NetworkDelivery"/>.
    /// </summary>
    public void SentAtNetwork(long number, long atMicros)
    {
        if ((ulong)number < (ulong)sentAtNetwork.Length)
        {
            Interlocked.CompareExchange(ref sentAtNetwork[number], atMicros, 0);
        }
    }

    public bool IsSentAtNetwork(long number) => (ulong)number < (ulong)sentAtNetwork.Length && Volatile.Read(ref sentAtNetwork[number]) > 0;

    /// <summary>A frame carrying message <paramref name="number"/> reached a receiving page (the DevTools frame event, same clock).</summary>
    public void DeliveredAtNetwork(long number, long atMicros) => PhaseOf(number)?.NetworkDelivery.Record(atMicros - sentAtNetwork[number]);

    public bool IsSent(long number) => (ulong)number < (ulong)sentAt.Length && Volatile.Read(ref sentAt[number]) > 0;

    /// <summary>A receiving session saw message <paramref name="number"/> for the first time.</summary>
    public void Delivered(long number, long atMicros)
    {
        if ((ulong)number >= (ulong)sentAt.Length || Volatile.Read(ref sentAt[number]) is not (> 0 and var sent))
        {
            return;
        }

        Interlocked.Increment(ref received[number]);
        PhaseOf(number)?.Delivery.Record(atMicros - sent);
    }

    /// <summary>The sender's own page showed its message.</summary>
    public void Echoed(long number, long atMicros)
    {
        if ((ulong)number < (ulong)sentAt.Length && Volatile.Read(ref sentAt[number]) is > 0 and var sent)
        {
            PhaseOf(number)?.OwnEcho.Record(atMicros - sent);
        }
    }

    private WebPhaseStats? PhaseOf(long number)
    {
        var all = Volatile.Read(ref phases);
        for (int i = all.Length - 1; i >= 0; i--)
        {
            if (number >= all[i].FirstNumber)
            {
                return all[i];
            }
        }

        return null;
    }

    /// <summary>For messages [<paramref name="first"/>, <paramref name="end"/>): deliveries expected, missing and beyond expected.</summary>
    public (long Expected, long Missing, long Extra) Count(long first, long end)
    {
        long want = 0, missing = 0, extra = 0;
        for (long n = first; n < end; n++)
        {
            int got = Volatile.Read(ref received[n]);
            want += expected[n];
            missing += Math.Max(0, expected[n] - got);
            extra += Math.Max(0, got - expected[n]);
        }

        return (want, missing, extra);
    }
}

/// <summary>One sending phase's latencies: delivery to the others, and the sender's own page showing its message.</summary>
internal sealed class WebPhaseStats(long firstNumber)
{
    public long FirstNumber { get; } = firstNumber;

    public LatencyHistogram Delivery { get; } = new();

    /// <summary>Send to the sender's own page showing its message (the post's commit and the sender's render).</summary>
    public LatencyHistogram OwnEcho { get; } = new();

    /// <summary>Chromium only: from the input event's frame to the batch's frame at a receiver, as DevTools' frame events time them.</summary>
    public LatencyHistogram NetworkDelivery { get; } = new();
}

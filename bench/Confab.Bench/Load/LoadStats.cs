using System.Diagnostics;
namespace Confab.Bench.Load;

/// <summary>
/// What a load run observed, recorded from every receive loop at once: connect and join latencies, and per sending
/// phase the push→reply and delivery latencies and, for each message, how many members got it against how many
/// should have (so losses and duplicates are counted, not guessed).
/// </summary>
internal sealed class LoadStats
{
    private readonly int[] expected;
    private readonly int[] received;
    private PhaseStats[] phases = [];
    private long connectFailed;
    private long joinFailed;
    private long sendFailed;
    private long presenceFrames;
    private long presenceBytes;
    private long lastPresenceAt;
    private long otherFrames;
    private long unmatchedReplies;
    private long heartbeatsOk;
    private string? firstConnectError;

    private readonly long firstNumber;
    private long foreign;

    /// <summary>Counts for <paramref name="maxMessages"/> messages numbered from generator <paramref name="generator"/>'s first.</summary>
    public LoadStats(long maxMessages, int generator = 0)
    {
        expected = new int[maxMessages];
        received = new int[maxMessages];
        firstNumber = generator * LoadOptions.NumberStride;
    }

    /// <summary>This generator's message numbers start here (<see cref="LoadOptions.NumberStride"/>).</summary>
    public long FirstNumber => firstNumber;

    /// <summary>Deliveries of other generators' messages (on other nodes of a cluster).</summary>
    public long Foreign => Interlocked.Read(ref foreign);

    public LatencyHistogram Connect { get; } = new();

    public LatencyHistogram Join { get; } = new();

    public LatencyHistogram ConnectAndJoin { get; } = new();

    public long ConnectFailures => Interlocked.Read(ref connectFailed);

    public long JoinFailures => Interlocked.Read(ref joinFailed);

    public long SendFailures => Interlocked.Read(ref sendFailed);

    public long PresenceFrames => Interlocked.Read(ref presenceFrames);

    public long PresenceBytes => Interlocked.Read(ref presenceBytes);

    /// <summary>Stopwatch timestamp of the last presence frame received.</summary>
    public long LastPresenceAt => Interlocked.Read(ref lastPresenceAt);

    public long OtherFrames => Interlocked.Read(ref otherFrames);

    public long UnmatchedReplies => Interlocked.Read(ref unmatchedReplies);

    public long HeartbeatsOk => Interlocked.Read(ref heartbeatsOk);

    public string? FirstConnectError => firstConnectError;

    /// <summary>The phase that replies count into; set by the run before it starts sending.</summary>
    public PhaseStats? Current { get; private set; }

    public PhaseStats StartPhase(string name, long firstNumber)
    {
        var phase = new PhaseStats(name, firstNumber);
        Volatile.Write(ref phases, [.. phases, phase]);
        Current = phase;
        return phase;
    }

    public void ExpectDeliveries(long number, int members) => expected[number - firstNumber] = members;

    public void ConnectFailed(Exception e)
    {
        Interlocked.Increment(ref connectFailed);
        Interlocked.CompareExchange(ref firstConnectError, $"{e.GetType().Name}: {e.Message}", null);
    }

    public void JoinFailed() => Interlocked.Increment(ref joinFailed);

    public void SendFailed() => Interlocked.Increment(ref sendFailed);

    public void Presence(int bytes, long now)
    {
        Interlocked.Increment(ref presenceFrames);
        Interlocked.Add(ref presenceBytes, bytes);
        Volatile.Write(ref lastPresenceAt, now);
    }

    public void OtherFrame() => Interlocked.Increment(ref otherFrames);

    public void ReplyUnmatched() => Interlocked.Increment(ref unmatchedReplies);

    public void HeartbeatReplied(bool ok)
    {
        if (ok)
        {
            Interlocked.Increment(ref heartbeatsOk);
        }
    }

    public void Replied(bool ok, long sentAt, long now)
    {
        if (Current is not { } phase)
        {
            return;
        }

        if (ok)
        {
            phase.Reply.RecordSince(sentAt, now);
            Interlocked.Increment(ref phase.RepliesOk);
        }
        else
        {
            Interlocked.Increment(ref phase.RepliesError);
        }
    }

    public void Delivered(long number, long sentAt, long now, bool duplicate)
    {
        PhaseStats? phase;
        if ((ulong)(number - firstNumber) >= (ulong)received.Length)
        {
            // Another generator's: its latency counts in the phase under way, its accounting is that generator's.
            Interlocked.Increment(ref foreign);
            phase = Current;
        }
        else
        {
            Interlocked.Increment(ref received[number - firstNumber]);
            phase = PhaseOf(number);
        }

        if (phase is null)
        {
            return;
        }

        phase.Delivery.RecordSince(sentAt, now);
        phase.RecordSlowest(sentAt, now);
        Interlocked.Increment(ref phase.Deliveries);
        if (duplicate)
        {
            Interlocked.Increment(ref phase.OutOfOrderOrRepeated);
        }
    }

    /// <summary>Per message of the phase: deliveries missing and deliveries beyond the members it was sent to.</summary>
    public (long Expected, long Missing, long Extra, long MessagesIncomplete) Count(PhaseStats phase)
    {
        long expectedTotal = 0, missing = 0, extra = 0, incomplete = 0;
        for (long n = phase.FirstNumber - firstNumber; n < phase.EndNumber - firstNumber; n++)
        {
            int want = expected[n];
            int got = Volatile.Read(ref received[n]);
            expectedTotal += want;
            if (got < want)
            {
                missing += want - got;
                incomplete++;
            }
            else
            {
                extra += got - want;
            }
        }

        return (expectedTotal, missing, extra, incomplete);
    }

    private PhaseStats? PhaseOf(long number)
    {
        PhaseStats[] all = Volatile.Read(ref phases);
        for (int i = all.Length - 1; i >= 0; i--)
        {
            if (number >= all[i].FirstNumber)
            {
                return all[i];
            }
        }

        return null;
    }
}

/// <summary>One sending phase of a run.</summary>
internal sealed class PhaseStats(string name, long firstNumber)
{
    public long RepliesOk;
    public long RepliesError;
    public long Deliveries;
    public long OutOfOrderOrRepeated;

    public string Name { get; } = name;

    public long FirstNumber { get; } = firstNumber;

    /// <summary>One past the last message number sent in the phase.</summary>
    public long EndNumber { get; set; }

    public LatencyHistogram Reply { get; } = new();

    public LatencyHistogram Delivery { get; } = new();

    // The slowest delivery of the messages sent in each second since the phase began (µs), to tell a stall (every
    // generator's slow deliveries in the same seconds) from a spread-out tail: wall-clock seconds, so that the
    // generators' reports can be laid side by side.
    private readonly long[] slowest = new long[3600];
    private readonly long originTimestamp = Stopwatch.GetTimestamp();
    private readonly long originUnixSeconds = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public void RecordSlowest(long sentAt, long now)
    {
        long second = (sentAt - originTimestamp) / Stopwatch.Frequency;
        if ((ulong)second >= (ulong)slowest.Length)
        {
            return;
        }

        long micros = (now - sentAt) * 1_000_000 / Stopwatch.Frequency;
        ref long slot = ref slowest[second];
        long seen;
        while (micros > (seen = Volatile.Read(ref slot)) && Interlocked.CompareExchange(ref slot, micros, seen) != seen)
        {
        }
    }

    /// <summary>Per second with a delivery: its Unix time and the slowest delivery of the messages sent in it (ms).</summary>
    public List<double[]> SlowestBySecond() =>
        [.. slowest.Select((micros, second) => (micros, second)).Where(s => s.micros > 0)
            .Select(s => new double[] { originUnixSeconds + s.second, Math.Round(s.micros / 1000.0, 1) })];
}

using BenchmarkDotNet.Attributes;
using Confab.Channels;
using Confab.Channels.Internal;
using Microsoft.Extensions.Time.Testing;

namespace Confab.Micro;

/// <summary>
/// A join storm: <see cref="Members"/> sockets join one room at 500 joins/s (the clock moves 50 ms every 25 joins),
/// each subscribing and then tracking itself; every diff is encoded once and queued to every member, whose queues are
/// drained every 50 ms. With diffs sent at once the members receive N²/2 frames (500,500 for 1,000); merged over
/// 50 ms, about N²/50 (20,500). A real socket adds a write per frame on top. Also: the presence_state of a full room,
/// as a payload (List) and as the frame pushed to a joiner.
/// </summary>
public class PresenceBenchmarks
{
    private static readonly JsonPayload Meta = JsonPayload.Parse("""{"online_at":1764324000,"username":"load00001"}""");

    private PresenceTracker full = null!;

    [Params(1000)]
    public int Members { get; set; }

    [Params(0, 50)]
    public int IntervalMs { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        full = new PresenceTracker(new LocalPubSub(), TimeProvider.System);
        for (int i = 0; i < Members; i++)
        {
            full.Track("room:full", i.ToString(System.Globalization.CultureInfo.InvariantCulture), Meta, new object());
        }
    }

    [Benchmark]
    public long JoinStorm()
    {
        var pubSub = new LocalPubSub();
        var time = new FakeTimeProvider();
        var tracker = new PresenceTracker(pubSub, time, TimeSpan.FromMilliseconds(IntervalMs));
        var members = new List<QueueMember>(Members);
        long frames = 0;
        for (int i = 0; i < Members; i++)
        {
            var member = new QueueMember();
            members.Add(member);
            pubSub.Subscribe("room:storm", member);
            tracker.Track("room:storm", i.ToString(System.Globalization.CultureInfo.InvariantCulture), Meta, member);
            if (i % 25 == 24)
            {
                time.Advance(TimeSpan.FromMilliseconds(50));
                frames += members.Sum(m => m.Drain());
            }
        }

        time.Advance(TimeSpan.FromMilliseconds(50));
        return frames + members.Sum(m => m.Drain());
    }

    [Benchmark]
    public int ListFullRoom() => full.List("room:full").Utf8.Length;

    /// <summary>The presence_state frame of a full room as a joiner gets it: encoded straight into a rented buffer.</summary>
    [Benchmark]
    public int PushStateFullRoom()
    {
        OutboundFrame frame = V2Serializer.Instance.EncodeMessage(
            "1", "room:full", PresenceTracker.StateEvent, full, static (writer, tracker) => tracker.WriteState(writer, "room:full"));
        frame.Release();
        return frame.Length;
    }
}

using BenchmarkDotNet.Attributes;
using Confab.Api;
using Confab.Channels;
using Confab.Channels.Internal;
using Confab.Messages;

namespace Confab.Micro;

/// <summary>
/// A committed message to every member of a room: the payload serialized and the frame encoded once, then the same
/// bytes queued to each member's outbound queue (as <c>SocketConnection.SendBroadcast</c> does) and drained.
/// Allocated bytes per operation should not grow with the members.
/// </summary>
public class BroadcastBenchmarks
{
    private readonly Message message = new(
        42, 1, 7, "hello there, a message of an ordinary length", new MessageAuthor(3, "alice"), new DateTime(2026, 11, 28, 10, 0, 0, DateTimeKind.Utc), null);

    private readonly LocalPubSub pubSub = new();
    private QueueMember[] members = [];

    [Params(10, 1000)]
    public int Members { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        members = [.. Enumerable.Range(0, Members).Select(_ => new QueueMember())];
        foreach (var member in members)
        {
            pubSub.Subscribe("room:general", member);
        }
    }

    [Benchmark]
    public byte[] EncodeOnce() => NewBroadcast().GetFrame(V2Serializer.Instance)!;

    [Benchmark]
    public int FanOutAndDrain()
    {
        ValueTask published = pubSub.BroadcastAsync(NewBroadcast());
        if (!published.IsCompletedSuccessfully)
        {
            throw new InvalidOperationException("LocalPubSub completes synchronously");
        }

        int written = 0;
        foreach (var member in members)
        {
            written += member.Drain();
        }

        return written;
    }

    private Broadcast NewBroadcast() => new("room:general", "new_message", JsonPayload.Serialize(message, ConfabJsonContext.Default.Message), message);
}

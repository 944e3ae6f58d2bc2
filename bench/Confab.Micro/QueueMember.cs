using Confab.Channels;
using Confab.Channels.Internal;

namespace Confab.Micro;

/// <summary>A room member as a socket is one: a broadcast's shared frame goes into its bounded outbound queue.</summary>
internal sealed class QueueMember : IBroadcastSubscriber
{
    private readonly OutboundQueue queue = new(1024);

    public void OnBroadcast(Broadcast message) =>
        queue.Enqueue(OutboundFrame.Shared(message.GetFrame(V2Serializer.Instance)!, binary: false, message.Droppable), out _);

    /// <summary>Takes every queued frame, as the socket's writer would; returns the frames taken.</summary>
    public int Drain()
    {
        int frames = 0;
        while (queue.TryDequeue(out var frame, out _))
        {
            frames++;
            frame.Release();
        }

        return frames;
    }
}

using System.Collections.Concurrent;
using Confab.Channels;

namespace Confab.Web.Chat;

/// <summary>
/// A room's broadcasts on their way to one open page. The publisher (the room's writer, a socket, another page) only
/// queues, as <see cref="IBroadcastSubscriber"/> asks; a thread-pool turn then hands everything queued to the page on
/// its circuit (<paramref name="drain"/>), which applies it and renders once. So fifty pages in a room render in
/// parallel instead of one after another on the publisher's thread, and a busy room costs a page one render per turn,
/// not one per event.
/// </summary>
/// <remarks>
/// A page that falls behind never holds the room back: beyond <see cref="Capacity"/> queued broadcasts the newest are
/// dropped and <see cref="TakeMissed"/> tells the page to catch up from the store instead, which loses nothing (every
/// room event has its seq there; typing notices and presence diffs are current again at the next one).
/// </remarks>
public sealed class PageInbox(Func<PageInbox, Task> drain) : IBroadcastSubscriber, IThreadPoolWorkItem
{
    /// <summary>Broadcasts a page may have waiting before it catches up from the store instead.</summary>
    public const int Capacity = 512;

    private readonly ConcurrentQueue<Broadcast> queue = new();
    private int queued;
    private int missed;
    private int scheduled;
    private volatile bool closed;

    public void OnBroadcast(Broadcast message)
    {
        if (closed)
        {
            return;
        }

        if (Interlocked.Increment(ref queued) > Capacity)
        {
            Interlocked.Decrement(ref queued);
            Volatile.Write(ref missed, 1);
        }
        else
        {
            queue.Enqueue(message);
        }

        Schedule();
    }

    /// <summary>The next queued broadcast, if any; for the page's drain.</summary>
    public bool TryTake(out Broadcast message)
    {
        if (!queue.TryDequeue(out message!))
        {
            return false;
        }

        Interlocked.Decrement(ref queued);
        return true;
    }

    /// <summary>True once after broadcasts were dropped: the page must catch up from the store.</summary>
    public bool TakeMissed() => Interlocked.Exchange(ref missed, 0) != 0;

    /// <summary>The page left: what is queued is dropped and nothing more is delivered.</summary>
    public void Close()
    {
        closed = true;
        queue.Clear();
    }

    void IThreadPoolWorkItem.Execute() => _ = RunAsync();

    private void Schedule()
    {
        if (Interlocked.Exchange(ref scheduled, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    // One drain at a time: what arrives while the page drains waits for the next turn.
    private async Task RunAsync()
    {
        try
        {
            if (!closed)
            {
                await drain(this);
            }
        }
        finally
        {
            Volatile.Write(ref scheduled, 0);
            if (!closed && (!queue.IsEmpty || Volatile.Read(ref missed) != 0))
            {
                Schedule();
            }
        }
    }
}

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

    // Small while idle (thousands of pages are open): a queue only once something arrives, kept at the size it reached.
    private readonly Lock gate = new();
    private Queue<Broadcast>? queue;
    private bool missed;
    private bool closed;
    private int scheduled;

    public void OnBroadcast(Broadcast message)
    {
        lock (gate)
        {
            if (closed)
            {
                return;
            }

            queue ??= new Queue<Broadcast>();
            if (queue.Count < Capacity)
            {
                queue.Enqueue(message);
            }
            else
            {
                missed = true;
            }
        }

        Schedule();
    }

    /// <summary>The next queued broadcast, if any; for the page's drain.</summary>
    public bool TryTake(out Broadcast message)
    {
        lock (gate)
        {
            message = null!;
            return queue is not null && queue.TryDequeue(out message!);
        }
    }

    /// <summary>True once after broadcasts were dropped: the page must catch up from the store.</summary>
    public bool TakeMissed()
    {
        lock (gate)
        {
            var was = missed;
            missed = false;
            return was;
        }
    }

    /// <summary>The page left: what is queued is dropped and nothing more is delivered.</summary>
    public void Close()
    {
        lock (gate)
        {
            closed = true;
            queue = null;
        }
    }

    private bool HasWork
    {
        get
        {
            lock (gate)
            {
                return !closed && (missed || queue?.Count > 0);
            }
        }
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
            await drain(this);
        }
        finally
        {
            Volatile.Write(ref scheduled, 0);
            if (HasWork)
            {
                Schedule();
            }
        }
    }
}

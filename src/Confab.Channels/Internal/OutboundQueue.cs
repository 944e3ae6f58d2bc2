namespace Confab.Channels.Internal;

internal enum EnqueueResult
{
    /// <summary>The frame is queued (droppable frames may have been evicted to make room).</summary>
    Enqueued,

    /// <summary>The queue was full and the frame itself was droppable: it was dropped.</summary>
    Dropped,

    /// <summary>The queue is full of frames that cannot be dropped: the socket cannot keep up.</summary>
    Overflow,

    /// <summary>The queue no longer accepts frames (the socket is closing).</summary>
    Closed,
}

/// <summary>
/// The bounded outbound queue of one socket: many producers (the reader, handlers, publishers on any thread), one
/// consumer (the socket's writer). When it is full, droppable frames give way first: a droppable frame is refused,
/// and a frame that cannot be dropped evicts every queued droppable frame. Enqueueing never waits.
/// </summary>
internal sealed class OutboundQueue
{
    // Most sockets never hold more than a few frames at once; the array doubles up to the capacity when they do.
    private const int InitialSize = 4;

    private readonly Lock _gate = new();
    private readonly int _capacity;

    // Wakes the single writer; at most one pending signal, so a burst of frames costs one wake-up.
    private readonly WriterSignal _signal = new();

    private OutboundFrame[] _items;
    private int _head;
    private int _count;
    private bool _completed;

    public OutboundQueue(int capacity)
    {
        _capacity = capacity;
        _items = new OutboundFrame[Math.Min(capacity, InitialSize)];
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    /// <summary>Queues <paramref name="frame"/> or releases it; <paramref name="dropped"/> counts frames given up.</summary>
    public EnqueueResult Enqueue(in OutboundFrame frame, out int dropped)
    {
        dropped = 0;
        lock (_gate)
        {
            if (_completed)
            {
                frame.Release();
                return EnqueueResult.Closed;
            }

            if (_count == _capacity)
            {
                if (frame.IsDroppable)
                {
                    frame.Release();
                    dropped = 1;
                    return EnqueueResult.Dropped;
                }

                dropped = EvictDroppable();
                if (dropped == 0)
                {
                    frame.Release();
                    return EnqueueResult.Overflow;
                }
            }

            if (_count == _items.Length)
            {
                Resize(Math.Min(_items.Length * 2, _capacity));
            }

            _items[(_head + _count) % _items.Length] = frame;
            _count++;
        }

        _signal.Set();
        return EnqueueResult.Enqueued;
    }

    /// <summary>
    /// Takes the oldest frame. Returns false when the queue is empty; <paramref name="completed"/> then says whether
    /// no frame will ever come again.
    /// </summary>
    public bool TryDequeue(out OutboundFrame frame, out bool completed) => TryDequeue(out frame, out completed, out _);

    /// <summary>As <see cref="TryDequeue(out OutboundFrame, out bool)"/>; <paramref name="remaining"/> counts the frames behind it.</summary>
    public bool TryDequeue(out OutboundFrame frame, out bool completed, out int remaining)
    {
        lock (_gate)
        {
            if (_count == 0)
            {
                frame = default;
                completed = _completed;
                remaining = 0;
                return false;
            }

            frame = _items[_head];
            _items[_head] = default;
            _head = (_head + 1) % _items.Length;
            _count--;
            completed = false;
            remaining = _count;
            return true;
        }
    }

    /// <summary>Waits until a frame may be available or the queue completed (<see cref="Complete"/> always wakes it).</summary>
    public ValueTask WaitAsync() => _signal.WaitAsync();

    /// <summary>
    /// Refuses further frames. With <paramref name="discardPending"/> the queued frames are released too and the
    /// number released is returned; otherwise the writer still drains them.
    /// </summary>
    public int Complete(bool discardPending)
    {
        int discarded = 0;
        lock (_gate)
        {
            _completed = true;
            if (discardPending)
            {
                for (int i = 0; i < _count; i++)
                {
                    ref OutboundFrame slot = ref _items[(_head + i) % _items.Length];
                    slot.Release();
                    slot = default;
                }

                discarded = _count;
                _head = 0;
                _count = 0;
            }
        }

        _signal.Set();
        return discarded;
    }

    // Only when full, so the O(n) compaction is off the normal path.
    private int EvictDroppable()
    {
        var kept = new OutboundFrame[_items.Length];
        int keptCount = 0;
        for (int i = 0; i < _count; i++)
        {
            OutboundFrame frame = _items[(_head + i) % _items.Length];
            if (frame.IsDroppable)
            {
                frame.Release();
            }
            else
            {
                kept[keptCount++] = frame;
            }
        }

        int evicted = _count - keptCount;
        _items = kept;
        _head = 0;
        _count = keptCount;
        return evicted;
    }

    private void Resize(int size)
    {
        var items = new OutboundFrame[size];
        for (int i = 0; i < _count; i++)
        {
            items[i] = _items[(_head + i) % _items.Length];
        }

        _items = items;
        _head = 0;
    }
}

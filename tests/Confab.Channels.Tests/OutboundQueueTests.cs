using Confab.Channels.Internal;

namespace Confab.Channels.Tests;

/// <summary>The per-socket bounded queue and its drop policy.</summary>
public sealed class OutboundQueueTests
{
    [Fact]
    public void Frames_come_out_in_order_across_growth()
    {
        var queue = new OutboundQueue(100);
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal(EnqueueResult.Enqueued, queue.Enqueue(Frame(i, droppable: false), out _));
        }

        for (int i = 0; i < 100; i++)
        {
            Assert.True(queue.TryDequeue(out OutboundFrame frame, out _));
            Assert.Equal(i, frame.Buffer[0]);
        }

        Assert.False(queue.TryDequeue(out _, out bool completed));
        Assert.False(completed);
    }

    [Fact]
    public void Full_queue_drops_a_new_droppable_frame()
    {
        var queue = Filled(16, droppable: false);

        Assert.Equal(EnqueueResult.Dropped, queue.Enqueue(Frame(99, droppable: true), out int dropped));

        Assert.Equal(1, dropped);
        Assert.Equal(16, queue.Count);
    }

    [Fact]
    public void Full_queue_evicts_queued_droppable_frames_for_one_that_must_arrive()
    {
        var queue = new OutboundQueue(16);
        for (int i = 0; i < 16; i++)
        {
            queue.Enqueue(Frame(i, droppable: i % 2 == 0), out _);
        }

        Assert.Equal(EnqueueResult.Enqueued, queue.Enqueue(Frame(100, droppable: false), out int dropped));

        Assert.Equal(8, dropped);
        var order = new List<int>();
        while (queue.TryDequeue(out OutboundFrame frame, out _))
        {
            order.Add(frame.Buffer[0]);
        }

        Assert.Equal([1, 3, 5, 7, 9, 11, 13, 15, 100], order);
    }

    [Fact]
    public void Queue_full_of_frames_that_must_arrive_overflows()
    {
        var queue = Filled(16, droppable: false);

        Assert.Equal(EnqueueResult.Overflow, queue.Enqueue(Frame(99, droppable: false), out int dropped));

        Assert.Equal(0, dropped);
    }

    [Fact]
    public void Completed_queue_refuses_frames_and_drains_or_discards()
    {
        var drained = Filled(4, droppable: false, capacity: 16);
        drained.Complete(discardPending: false);
        Assert.Equal(EnqueueResult.Closed, drained.Enqueue(Frame(9, droppable: false), out _));
        Assert.Equal(4, drained.Count);

        var discarded = Filled(4, droppable: false, capacity: 16);
        Assert.Equal(4, discarded.Complete(discardPending: true));
        Assert.False(discarded.TryDequeue(out _, out bool completed));
        Assert.True(completed);
    }

    private static OutboundQueue Filled(int count, bool droppable, int? capacity = null)
    {
        var queue = new OutboundQueue(capacity ?? count);
        for (int i = 0; i < count; i++)
        {
            Assert.Equal(EnqueueResult.Enqueued, queue.Enqueue(Frame(i, droppable), out _));
        }

        return queue;
    }

    private static OutboundFrame Frame(int marker, bool droppable) => OutboundFrame.Shared([(byte)marker], binary: false, droppable);
}

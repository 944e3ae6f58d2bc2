using System.Collections.Concurrent;
using Confab.Channels.Internal;

namespace Confab.Channels.Tests;

/// <summary>The signal that wakes a socket's writer: a pending signal is kept once, and no wake-up is lost.</summary>
public sealed class WriterSignalTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_signal_set_before_the_wait_completes_it_at_once_and_is_used_up()
    {
        var signal = new WriterSignal();
        signal.Set();
        signal.Set();

        Assert.True(signal.WaitAsync().AsTask().IsCompletedSuccessfully);
        Task next = signal.WaitAsync().AsTask();
        Assert.False(next.IsCompleted);

        signal.Set();
        await next.WaitAsync(Timeout);
    }

    [Fact]
    public async Task No_wake_up_is_lost_between_a_producer_and_the_waiter()
    {
        const int Items = 200_000;
        var signal = new WriterSignal();
        var queue = new ConcurrentQueue<int>();
        var consumer = Task.Run(async () =>
        {
            int taken = 0;
            while (taken < Items)
            {
                while (queue.TryDequeue(out _))
                {
                    taken++;
                }

                if (taken < Items)
                {
                    await signal.WaitAsync();
                }
            }

            return taken;
        });

        var producer = new Thread(() =>
        {
            for (int i = 0; i < Items; i++)
            {
                queue.Enqueue(i);
                signal.Set();
            }
        });
        producer.Start();

        Assert.Equal(Items, await consumer.WaitAsync(Timeout));
        producer.Join();
    }
}

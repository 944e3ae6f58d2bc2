using Confab.Cluster;
using Microsoft.Extensions.Time.Testing;

namespace Confab.Tests.Cluster;

/// <summary>
/// A node's own count of a limit (used alone without Redis, and while Redis does not answer): at most so many permits
/// in any window, a refusal says when the next one frees, and a key with nothing in its window reads as idle, so that
/// the partitioned limiter lets it go. All on a fake clock: no timer runs.
/// </summary>
public sealed class SlidingLogTests
{
    private readonly FakeTimeProvider clock = new(DateTimeOffset.UtcNow);

    [Fact]
    public void Permits_within_a_window_are_limited_and_free_up_as_each_leaves_it()
    {
        var log = new SlidingLog(3, TimeSpan.FromSeconds(10), clock);
        Assert.Null(log.Take(1));
        clock.Advance(TimeSpan.FromSeconds(4));
        Assert.Null(log.Take(1));
        Assert.Null(log.Take(1));

        Assert.Equal(TimeSpan.FromSeconds(6), log.Take(1)); // the first leaves the window 10 s after it was taken
        Assert.Equal(TimeSpan.FromSeconds(6), log.Take(0)); // asking is refused alike, and takes nothing

        clock.Advance(TimeSpan.FromSeconds(6));
        Assert.Null(log.Take(1)); // the first has left: one is free
        Assert.Equal(TimeSpan.FromSeconds(4), log.Take(1)); // the two taken at 4 s leave at 14 s

        var statistics = log.Statistics();
        Assert.Equal(0, statistics.CurrentAvailablePermits);
        Assert.Equal(4, statistics.TotalSuccessfulLeases);
        Assert.Equal(3, statistics.TotalFailedLeases);
    }

    [Fact]
    public void Several_permits_at_once_wait_for_as_many_to_leave()
    {
        var log = new SlidingLog(3, TimeSpan.FromSeconds(10), clock);
        Assert.Null(log.Take(1)); // at 0 s
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(log.Take(1)); // at 1 s
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(log.Take(1)); // at 2 s

        Assert.Equal(TimeSpan.FromSeconds(9), log.Take(2)); // two must leave: the second of them, taken at 1 s, at 11 s
        Assert.Throws<ArgumentOutOfRangeException>(() => log.Take(4));
    }

    [Fact]
    public void A_key_is_idle_only_once_its_newest_permit_left_the_window()
    {
        var log = new SlidingLog(5, TimeSpan.FromSeconds(10), clock);
        Assert.Equal(TimeSpan.Zero, log.IdleDuration); // never used

        log.Take(1);
        clock.Advance(TimeSpan.FromSeconds(9));
        Assert.Null(log.IdleDuration);

        clock.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(TimeSpan.FromSeconds(3), log.IdleDuration);
    }
}

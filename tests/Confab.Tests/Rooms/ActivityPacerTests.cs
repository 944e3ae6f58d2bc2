using Confab.Rooms;
using Microsoft.Extensions.Time.Testing;

namespace Confab.Tests.Rooms;

/// <summary>room_activity per user and room: the first at once, the rest of a second folded into one at its end.</summary>
public sealed class ActivityPacerTests
{
    [Fact]
    public void The_first_goes_at_once_the_rest_of_the_second_fold_into_one_with_the_newest_seq()
    {
        var time = new FakeTimeProvider();
        var flushed = new List<(long User, long Room, long Seq)>();
        using var pacer = new ActivityPacer(time, (user, room, seq) => flushed.Add((user, room, seq)));

        Assert.True(pacer.Admit(1, 10, seq: 5));
        Assert.False(pacer.Admit(1, 10, seq: 6));
        Assert.False(pacer.Admit(1, 10, seq: 7));
        // Another user, another room: paced on their own.
        Assert.True(pacer.Admit(2, 10, seq: 7));
        Assert.True(pacer.Admit(1, 11, seq: 3));
        Assert.Empty(flushed);

        time.Advance(ActivityPacer.Interval);
        Assert.Equal([(1L, 10L, 7L)], flushed);

        // Quiet for a second after the fold: the next goes at once again.
        time.Advance(ActivityPacer.Interval);
        Assert.True(pacer.Admit(1, 10, seq: 8));
        Assert.Single(flushed);
    }

    [Fact]
    public void A_mention_goes_at_once_and_nothing_is_left_to_fold()
    {
        var time = new FakeTimeProvider();
        var flushed = new List<(long User, long Room, long Seq)>();
        using var pacer = new ActivityPacer(time, (user, room, seq) => flushed.Add((user, room, seq)));

        Assert.True(pacer.Admit(1, 10, seq: 5));
        Assert.False(pacer.Admit(1, 10, seq: 6));
        Assert.True(pacer.Admit(1, 10, seq: 7, now: true));
        time.Advance(ActivityPacer.Interval * 3);
        Assert.Empty(flushed);
    }
}

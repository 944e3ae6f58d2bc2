using Confab.Web.Chat;
using Microsoft.Extensions.Time.Testing;

namespace Confab.Tests.Web;

public sealed class TypingIndicatorTests
{
    private readonly FakeTimeProvider clock = new(DateTimeOffset.UtcNow);

    [Fact]
    public void Names_one_two_or_counts_the_people_typing()
    {
        var typing = new TypingIndicator(clock);
        Assert.Equal("", typing.Describe());

        typing.Saw(1, "alice");
        Assert.Equal("alice is typing…", typing.Describe());
        typing.Saw(2, "bob");
        Assert.Equal("alice and bob are typing…", typing.Describe());
        typing.Saw(3, "carol");
        Assert.Equal("3 people are typing…", typing.Describe());
    }

    [Fact]
    public void A_user_stops_counting_3_seconds_after_their_last_notice_or_when_they_send()
    {
        var typing = new TypingIndicator(clock);
        typing.Saw(1, "alice");
        typing.Saw(2, "bob");

        clock.Advance(TimeSpan.FromSeconds(2));
        typing.Saw(2, "bob");
        clock.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Equal("alice and bob are typing…", typing.Describe());
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal("bob is typing…", typing.Describe());

        typing.Forget(2);
        Assert.Equal("", typing.Describe());
        Assert.True(typing.IsEmpty);
    }

    [Fact]
    public void The_next_expiry_is_the_earliest_notice_to_run_out()
    {
        var typing = new TypingIndicator(clock);
        Assert.Null(typing.NextExpiry);

        var start = clock.GetUtcNow();
        typing.Saw(1, "alice");
        clock.Advance(TimeSpan.FromSeconds(1));
        typing.Saw(2, "bob");
        Assert.Equal(start + TypingIndicator.Linger, typing.NextExpiry);

        typing.Saw(1, "alice");
        Assert.Equal(start + TimeSpan.FromSeconds(1) + TypingIndicator.Linger, typing.NextExpiry);
        typing.Forget(1);
        typing.Forget(2);
        Assert.Null(typing.NextExpiry);
    }

    [Fact]
    public void Two_names_are_in_order_whatever_order_they_came_in()
    {
        var typing = new TypingIndicator(clock);
        typing.Saw(3, "carol");
        typing.Saw(1, "alice");
        Assert.Equal("alice and carol are typing…", typing.Describe());
    }
}

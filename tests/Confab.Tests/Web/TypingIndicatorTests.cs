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
}

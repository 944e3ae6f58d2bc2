using Confab.Channels;
using Confab.Messages;
using Confab.Web.Chat;

namespace Confab.Tests.Web;

public sealed class MessageViewTests
{
    private static readonly MessageAuthor Alice = new(3, "alice");
    private static readonly MessageAuthor Bob = new(5, "bob");

    private static Message Posted(long id, string content, MessageAuthor author) =>
        new(id, RoomId: 1, Seq: id, content, author, new DateTime(2026, 12, 7, 10, 0, 0, DateTimeKind.Utc), ClientId: null);

    private static readonly MessageClock Today = MessageClock.At(new DateTimeOffset(2026, 12, 7, 18, 0, 0, TimeSpan.Zero), TimeZoneInfo.Utc);
    private static readonly MessageClock NextDay = MessageClock.At(new DateTimeOffset(2026, 12, 8, 9, 0, 0, TimeSpan.Zero), TimeZoneInfo.Utc);

    private static string NameOf(long id) => id == Alice.Id ? "alice" : "bob";

    [Fact]
    public void Readers_of_the_same_kind_share_one_string_and_only_the_author_gets_edit_and_delete()
    {
        var message = Posted(1, "hello **there**", Alice);
        var carol = new MessageAuthor(9, "carol");

        var atBob = MessageView.Of(message).Markup(Today, Bob.Id, NameOf).Value;
        var atCarol = MessageView.Of(message).Markup(Today, carol.Id, NameOf).Value;
        var atAlice = MessageView.Of(message).Markup(Today, Alice.Id, NameOf).Value;

        Assert.Same(atBob, atCarol);
        Assert.StartsWith("<article class=\"message\" data-seq=\"1\" tabindex=\"0\">", atBob);
        Assert.EndsWith("</article>", atBob);
        Assert.Contains("<time datetime=\"2026-12-07T10:00:00.0000000Z\">10:00</time>", atBob);
        Assert.Contains("<strong>there</strong>", atBob);
        Assert.Contains("data-action=\"reply\"", atBob);
        Assert.DoesNotContain("data-action=\"edit\"", atBob);
        Assert.Contains("data-action=\"edit\"", atAlice);
        Assert.Contains("data-action=\"delete\"", atAlice);
        var dayAfter = MessageView.Of(message).Markup(NextDay, Bob.Id, NameOf).Value;
        Assert.Contains(">Dec 7, 10:00</time>", dayAfter);
    }

    [Fact]
    public void A_reaction_is_pressed_for_whoever_made_it_and_names_who_reacted()
    {
        var message = Posted(2, "vote", Alice) with { Reactions = [new ReactionSummary("👍", 1, [Bob.Id])] };

        var atBob = MessageView.Of(message).Markup(Today, Bob.Id, NameOf).Value;
        var atAlice = MessageView.Of(message).Markup(Today, Alice.Id, NameOf).Value;

        Assert.Contains("aria-pressed=\"true\" title=\"bob\" data-action=\"toggle\" data-emoji=\"👍\"", atBob);
        Assert.Contains("aria-pressed=\"false\"", atAlice);
        Assert.Contains("<span class=\"reaction-count\">1</span>", atAlice);
    }

    [Fact]
    public void Names_and_text_are_escaped_and_a_tombstone_has_nothing_to_act_on()
    {
        var mallory = new MessageAuthor(7, "<img src=x onerror=alert(1)>");
        var message = Posted(3, "<b>raw</b>", mallory) with { ReplyTo = new ReplyPreview(1, 1, new MessageAuthor(8, "\"quoted\""), "<i>x</i>") };

        var html = MessageView.Of(message).Markup(Today, Bob.Id, NameOf).Value;

        Assert.DoesNotContain("<img", html);
        Assert.DoesNotContain("<b>", html);
        Assert.DoesNotContain("<i>", html);
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt;", html);
        Assert.Contains("&quot;quoted&quot;", html);

        var deleted = MessageView.Of(message with { Deleted = true, Content = "" }).Markup(Today, mallory.Id, NameOf).Value;
        Assert.Contains("message deleted", deleted);
        Assert.DoesNotContain("data-action=\"edit\"", deleted);
        Assert.DoesNotContain("message-actions", deleted);
    }

    [Fact]
    public void A_clock_writes_times_in_the_readers_zone_and_knows_its_day()
    {
        var tokyo = TimeZoneInfo.FindSystemTimeZoneById("Asia/Tokyo");
        var clock = MessageClock.At(new DateTimeOffset(2026, 12, 7, 16, 0, 0, TimeSpan.Zero), tokyo);

        // 16:00 UTC is 01:00 on Dec 8 in Tokyo: its day began at 15:00 UTC.
        Assert.True(clock.IsToday(new DateTime(2026, 12, 7, 15, 30, 0, DateTimeKind.Utc)));
        Assert.False(clock.IsToday(new DateTime(2026, 12, 7, 14, 59, 0, DateTimeKind.Utc)));
        Assert.Equal("00:30", clock.Format(new DateTime(2026, 12, 7, 15, 30, 0, DateTimeKind.Utc)));
        Assert.Equal("Dec 7, 23:59", clock.Format(new DateTime(2026, 12, 7, 14, 59, 0, DateTimeKind.Utc)));
    }

    [Fact]
    public void Pages_that_read_the_same_message_hold_one_instance_until_it_changes()
    {
        var first = Posted(1_000_001, "shared", Alice);
        var readAgain = Posted(1_000_001, "shared", Alice);
        var edited = readAgain with { Content = "edited", EditedAt = DateTime.UtcNow };

        Assert.Same(first, SharedMessages.Intern(first));
        Assert.Same(first, SharedMessages.Intern(readAgain));
        Assert.Same(edited, SharedMessages.Intern(edited));
        Assert.Same(edited, SharedMessages.Intern(edited with { }));
    }
}

public sealed class HtmlTextTests
{
    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a & b <c> \"d\" 'e'", "a &amp; b &lt;c&gt; &quot;d&quot; &#39;e&#39;")]
    [InlineData("👍🏽 café", "👍🏽 café")]
    [InlineData("<<>>", "&lt;&lt;&gt;&gt;")]
    public void Escapes_what_markup_would_read_and_keeps_the_rest(string text, string expected) =>
        Assert.Equal(expected, new System.Text.StringBuilder().AppendEscaped(text).ToString());
}

public sealed class OnlineListTests
{
    private const string Topic = "room:online-list-test";

    [Fact]
    public void Pages_of_a_room_share_the_list_while_the_presence_state_is_the_same_and_names_are_escaped()
    {
        const string both = """{"3": {"metas": [{"username": "alice"}]}, "7": {"metas": [{"username": "zoe <b>z</b>"}, {"username": "zoe <b>z</b>"}]}}""";

        var first = RoomOnline.Of(Topic, JsonPayload.Parse(both));
        var second = RoomOnline.Of(Topic, JsonPayload.Parse(both));
        var changed = RoomOnline.Of(Topic, JsonPayload.Parse("""{"3": {"metas": [{"username": "alice"}]}}"""));

        Assert.Same(first, second);
        Assert.Equal([new OnlineUser(3, "alice", 1), new OnlineUser(7, "zoe <b>z</b>", 2)], first.Users);
        Assert.Contains("<li data-user-id=\"7\">", first.Markup.Value);
        Assert.Contains("zoe &lt;b&gt;z&lt;/b&gt;", first.Markup.Value);
        Assert.DoesNotContain("<b>", first.Markup.Value);
        Assert.DoesNotContain("data-user-id=\"7\"", changed.Markup.Value);
        Assert.Equal("zoe <b>z</b>", first.NameOf(7));
        Assert.Null(changed.NameOf(7));
    }
}

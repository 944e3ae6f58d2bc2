using Confab.Messages;
using Confab.Web.Chat;

namespace Confab.Tests.Web;

public sealed class MessageViewTests
{
    private static readonly MessageAuthor Alice = new(3, "alice");
    private static readonly MessageAuthor Bob = new(5, "bob");

    private static Message Posted(long id, string content, MessageAuthor author) =>
        new(id, RoomId: 1, Seq: id, content, author, new DateTime(2026, 12, 7, 10, 0, 0, DateTimeKind.Utc), ClientId: null);

    private static string NameOf(long id) => id == Alice.Id ? "alice" : "bob";

    [Fact]
    public void Readers_of_the_same_kind_share_one_string_and_only_the_author_gets_edit_and_delete()
    {
        var message = Posted(1, "hello **there**", Alice);
        var carol = new MessageAuthor(9, "carol");

        var atBob = MessageView.Of(message).Markup("10:00", Bob.Id, NameOf).Value;
        var atCarol = MessageView.Of(message).Markup("10:00", carol.Id, NameOf).Value;
        var atAlice = MessageView.Of(message).Markup("10:00", Alice.Id, NameOf).Value;

        Assert.Same(atBob, atCarol);
        Assert.Contains("<strong>there</strong>", atBob);
        Assert.Contains("data-action=\"reply\"", atBob);
        Assert.DoesNotContain("data-action=\"edit\"", atBob);
        Assert.Contains("data-action=\"edit\"", atAlice);
        Assert.Contains("data-action=\"delete\"", atAlice);
        Assert.NotSame(atBob, MessageView.Of(message).Markup("Dec 6, 10:00", Bob.Id, NameOf).Value);
    }

    [Fact]
    public void A_reaction_is_pressed_for_whoever_made_it_and_names_who_reacted()
    {
        var message = Posted(2, "vote", Alice) with { Reactions = [new ReactionSummary("👍", 1, [Bob.Id])] };

        var atBob = MessageView.Of(message).Markup("10:00", Bob.Id, NameOf).Value;
        var atAlice = MessageView.Of(message).Markup("10:00", Alice.Id, NameOf).Value;

        Assert.Contains("aria-pressed=\"true\" title=\"bob\" data-action=\"toggle\" data-emoji=\"👍\"", atBob);
        Assert.Contains("aria-pressed=\"false\"", atAlice);
        Assert.Contains("<span class=\"reaction-count\">1</span>", atAlice);
    }

    [Fact]
    public void Names_and_text_are_escaped_and_a_tombstone_has_nothing_to_act_on()
    {
        var mallory = new MessageAuthor(7, "<img src=x onerror=alert(1)>");
        var message = Posted(3, "<b>raw</b>", mallory) with { ReplyTo = new ReplyPreview(1, 1, new MessageAuthor(8, "\"quoted\""), "<i>x</i>") };

        var html = MessageView.Of(message).Markup("10:00", Bob.Id, NameOf).Value;

        Assert.DoesNotContain("<img", html);
        Assert.DoesNotContain("<b>", html);
        Assert.DoesNotContain("<i>", html);
        Assert.Contains("&lt;img src=x onerror=alert(1)&gt;", html);
        Assert.Contains("&quot;quoted&quot;", html);

        var deleted = MessageView.Of(message with { Deleted = true, Content = "" }).Markup("10:00", mallory.Id, NameOf).Value;
        Assert.Contains("message deleted", deleted);
        Assert.DoesNotContain("data-action=\"edit\"", deleted);
        Assert.DoesNotContain("message-actions", deleted);
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
    [Fact]
    public void Pages_of_a_room_share_the_list_while_it_is_the_same_and_names_are_escaped()
    {
        IReadOnlyList<OnlineUser> users = [new OnlineUser(3, "alice", 1), new OnlineUser(7, "<b>zoe</b>", 2)];

        var first = OnlineList.Markup("room:online-list-test", users).Value;
        var second = OnlineList.Markup("room:online-list-test", [.. users]).Value;
        var changed = OnlineList.Markup("room:online-list-test", [users[0]]).Value;

        Assert.Same(first, second);
        Assert.Contains("<li data-user-id=\"7\">", first);
        Assert.Contains("&lt;b&gt;zoe&lt;/b&gt;", first);
        Assert.DoesNotContain("<b>", first);
        Assert.DoesNotContain("data-user-id=\"7\"", changed);
    }
}

using Confab.Messages;
using Confab.Web.Chat;

namespace Confab.Tests.Web;

public sealed class MessageMarkdownTests
{
    private const string Rel = "rel=\"noopener noreferrer nofollow\"";

    [Theory]
    [InlineData("**bold** and __bold__", "<p><strong>bold</strong> and <strong>bold</strong></p>")]
    [InlineData("*italic* and _italic_", "<p><em>italic</em> and <em>italic</em></p>")]
    [InlineData("~~gone~~", "<p><del>gone</del></p>")]
    [InlineData("use `x < y`", "<p>use <code>x &lt; y</code></p>")]
    [InlineData("```\nif (a < b) {}\n```", "<pre><code>if (a &lt; b) {}\n</code></pre>")]
    [InlineData("> quoted\n\nreply", "<blockquote>\n<p>quoted</p>\n</blockquote>\n<p>reply</p>")]
    [InlineData("one\ntwo", "<p>one<br />\ntwo</p>")]
    public void The_subset_renders(string markdown, string html) => Assert.Equal(html, MessageMarkdown.ToHtml(markdown));

    [Theory]
    [InlineData("[docs](https://example.com/a?b=1&c=2)", "<p><a href=\"https://example.com/a?b=1&amp;c=2\" " + Rel + ">docs</a></p>")]
    [InlineData("see https://example.com/x.", "<p>see <a href=\"https://example.com/x\" " + Rel + ">https://example.com/x</a>.</p>")]
    [InlineData("www.example.com", "<p><a href=\"https://www.example.com\" " + Rel + ">www.example.com</a></p>")]
    [InlineData("<http://example.com>", "<p><a href=\"http://example.com\" " + Rel + ">http://example.com</a></p>")]
    [InlineData("[write](mailto:a@example.com)", "<p><a href=\"mailto:a@example.com\" " + Rel + ">write</a></p>")]
    [InlineData("[q](<https://example.com/\" onclick=\"alert(1)>)", "<p><a href=\"https://example.com/%22%20onclick=%22alert(1)\" " + Rel + ">q</a></p>")]
    [InlineData("<a@example.com>", "<p><a href=\"mailto:a@example.com\" " + Rel + ">a@example.com</a></p>")]
    public void Http_https_and_mailto_links_render_with_rel(string markdown, string html) => Assert.Equal(html, MessageMarkdown.ToHtml(markdown));

    [Theory]
    [InlineData("<b>x</b>", "<p>&lt;b&gt;x&lt;/b&gt;</p>")]
    [InlineData("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>")]
    [InlineData("<img src=x onerror=alert(1)>", "<p>&lt;img src=x onerror=alert(1)&gt;</p>")]
    [InlineData("<div>\nblock\n</div>", "<p>&lt;div&gt;<br />\nblock<br />\n&lt;/div&gt;</p>")]
    [InlineData("<!-- hidden -->", "<p>&lt;!-- hidden --&gt;</p>")]
    public void Raw_html_shows_as_text(string markdown, string html) => Assert.Equal(html, MessageMarkdown.ToHtml(markdown));

    [Theory]
    [InlineData("[x](javascript:alert(1))", "<p>x</p>")]
    [InlineData("[x](JAVASCRIPT:alert(1))", "<p>x</p>")]
    [InlineData("[x](javascript&#58;alert(1))", "<p>x</p>")]
    [InlineData("[x](<java\tscript:alert(1)>)", "<p>x</p>")]
    [InlineData("[x](vbscript:msgbox(1))", "<p>x</p>")]
    [InlineData("[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)", "<p>x</p>")]
    [InlineData("[x](file:///etc/passwd)", "<p>x</p>")]
    [InlineData("[x](/rooms/general)", "<p>x</p>")]
    [InlineData("[x](//evil.example)", "<p>x</p>")]
    [InlineData("[**bold** text](javascript:alert(1))", "<p><strong>bold</strong> text</p>")]
    [InlineData("[x][r]\n\n[r]: javascript:alert(1)", "<p>x</p>")]
    [InlineData("<javascript:alert(1)>", "<p>javascript:alert(1)</p>")]
    [InlineData("ftp://example.com/file", "<p>ftp://example.com/file</p>")]
    public void Other_links_show_their_text_only(string markdown, string html) => Assert.Equal(html, MessageMarkdown.ToHtml(markdown));

    [Theory]
    [InlineData("![cat](http://example.com/cat.png)", "<p><a href=\"http://example.com/cat.png\" " + Rel + ">cat</a></p>")]
    [InlineData("![](https://example.com/cat.png)", "<p><a href=\"https://example.com/cat.png\" " + Rel + ">https://example.com/cat.png</a></p>")]
    [InlineData("![i](javascript:alert(1))", "<p>i</p>")]
    [InlineData("![i](data:image/png;base64,iVBORw0KGgo=)", "<p>i</p>")]
    public void Images_become_links_and_load_nothing(string markdown, string html) => Assert.Equal(html, MessageMarkdown.ToHtml(markdown));

    [Theory]
    [InlineData("# not a heading", "<p># not a heading</p>")]
    [InlineData("title\n===", "<p>title<br />\n===</p>")]
    [InlineData("- one\n- two", "<p>- one<br />\n- two</p>")]
    [InlineData("1. first", "<p>1. first</p>")]
    [InlineData("---", "<p>---</p>")]
    [InlineData("| a | b |\n|---|---|\n| 1 | 2 |", "<p>| a | b |<br />\n|---|---|<br />\n| 1 | 2 |</p>")]
    public void Headings_lists_rules_and_tables_stay_text(string markdown, string html) => Assert.Equal(html, MessageMarkdown.ToHtml(markdown));

    [Fact]
    public void A_link_inside_a_link_is_text()
    {
        var html = MessageMarkdown.ToHtml("![see http://inner.example](http://outer.example)");

        Assert.Equal("<p><a href=\"http://outer.example\" " + Rel + ">see http://inner.example</a></p>", html);
    }

    [Fact]
    public void Nesting_deeper_than_markdig_goes_shows_as_text()
    {
        var html = MessageMarkdown.ToHtml(new string('>', 2000) + " <b>x\ny");

        Assert.Equal("<p>" + string.Concat(Enumerable.Repeat("&gt;", 2000)) + " &lt;b&gt;x<br />\ny</p>", html);
    }

    [Theory]
    [InlineData(127, '>')]
    [InlineData(1000, '[')]
    [InlineData(1000, '*')]
    [InlineData(600, '`')]
    public void Deep_nesting_renders_without_overflowing_the_stack(int depth, char marker)
    {
        var html = MessageMarkdown.ToHtml(new string(marker, depth) + " x" + new string(marker == '[' ? ']' : marker, depth));

        Assert.Contains("x", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("And **welcome**, see [the docs](https://example.com) or `/help`", "And welcome, see the docs or /help")]
    [InlineData("> quoted\n\n~~old~~ reply\nsecond  line", "quoted old reply second line")]
    [InlineData("<b>x</b> & [y](javascript:alert(1))", "<b>x</b> & y")]
    [InlineData("```\ncode\n```", "code")]
    public void Plain_text_drops_the_markup_onto_one_line(string markdown, string text) => Assert.Equal(text, MessageMarkdown.PlainText(markdown));

    [Fact]
    public void Each_message_state_is_rendered_once()
    {
        var message = new Message(1, 1, 1, "**hi**", new MessageAuthor(1, "ann"), DateTime.UnixEpoch, null);

        var first = MessageMarkdown.Html(message);
        var again = MessageMarkdown.Html(message);
        var edited = MessageMarkdown.Html(message with { Content = "_hi_" });

        Assert.Equal("<p><strong>hi</strong></p>", first.Value);
        Assert.Same(first.Value, again.Value);
        Assert.Equal("<p><em>hi</em></p>", edited.Value);
    }
}

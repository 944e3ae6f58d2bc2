using System.Net;
using System.Runtime.CompilerServices;
using Confab.Messages;
using Markdig;
using Markdig.Extensions.AutoLinks;
using Markdig.Extensions.EmphasisExtras;
using Markdig.Parsers;
using Markdig.Renderers.Html;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;
using Microsoft.AspNetCore.Components;

namespace Confab.Web.Chat;

/// <summary>
/// A message's text as the page shows it, in a safe subset of Markdown (Markdig): <c>**bold**</c>, <c>*italic*</c>,
/// <c>~~strikethrough~~</c>, <c>`code`</c>, code blocks, <c>&gt; quotes</c>, and links, autolinked or written
/// <c>[text](url)</c>, to http, https and mailto only, with <c>rel="noopener noreferrer nofollow"</c>.
/// </summary>
/// <remarks>
/// Raw HTML shows as the text it is; headings, lists and rules stay plain text; an image becomes a link to it; a link
/// anywhere else (javascript:, data:, relative) shows its text only. Line breaks stay line breaks. Only the page renders:
/// the stored text and the wire keep what was typed.
/// </remarks>
public static class MessageMarkdown
{
    /// <summary>Every link's <c>rel</c>: no access to this page, no referrer, no endorsement.</summary>
    public const string LinkRel = "noopener noreferrer nofollow";

    private static readonly string[] AllowedPrefixes = ["http://", "https://", "mailto:"];
    private static readonly MarkdownPipeline Pipeline = BuildPipeline();

    // Messages are immutable: each state is rendered once, and its HTML goes when the message does. Likewise each
    // excerpt's plain text, by the string's identity.
    private static readonly ConditionalWeakTable<Message, string> Rendered = new();
    private static readonly ConditionalWeakTable<string, string> Plain = new();

    /// <summary>The message's content as HTML (rendered once per message state).</summary>
    public static MarkupString Html(Message message) => new(Rendered.GetValue(message, static m => ToHtml(m.Content)));

    /// <summary>
    /// The text without its Markdown, on one line, for a quote of it: <c>see **this** [page](https://…)</c> is
    /// "see this page". It is text, not HTML: whoever shows it escapes it.
    /// </summary>
    public static string PlainText(string markdown) => Plain.GetValue(markdown, static text =>
    {
        string plain;
        try
        {
            plain = Markdown.ToPlainText(text, Pipeline);
        }
        catch (ArgumentException)
        {
            plain = text;
        }

        return string.Join(' ', plain.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
    });

    public static string ToHtml(string markdown)
    {
        MarkdownDocument document;
        try
        {
            document = Markdown.Parse(markdown, Pipeline);
        }
        catch (ArgumentException)
        {
            // Nested deeper than Markdig goes (MaximumNestingDepth, 128): no one writes that; it shows as typed.
            return "<p>" + WebUtility.HtmlEncode(markdown).ReplaceLineEndings("<br />\n") + "</p>";
        }

        // Outer links first (pre-order), so a link inside another is seen after the outer one is settled.
        foreach (var inline in document.Descendants<Inline>().ToList())
        {
            switch (inline)
            {
                case LinkInline link:
                    Police(link);
                    break;
                case AutolinkInline autolink when !IsAllowed(autolink.IsEmail ? "mailto:" + autolink.Url : autolink.Url) || InsideLink(autolink):
                    autolink.ReplaceBy(new LiteralInline(autolink.Url));
                    break;
                case AutolinkInline { IsEmail: true } email:
                    // Markdig gives e-mail autolinks no rel of their own.
                    email.GetAttributes().AddPropertyIfNotExist("rel", LinkRel);
                    break;
                case LiteralInline literal when !InsideLink(literal):
                    MarkMentions(literal);
                    break;
            }
        }

        return Markdown.ToHtml(document, Pipeline).TrimEnd('\n');
    }

    private static MarkdownPipeline BuildPipeline()
    {
        var builder = new MarkdownPipelineBuilder()
            .UseEmphasisExtras(EmphasisExtraOptions.Strikethrough)
            .UseAutoLinks(new AutoLinkOptions { UseHttpsForWWWLinks = true })
            .UseReferralLinks(LinkRel.Split(' '))
            .UseSoftlineBreakAsHardlineBreak()
            .DisableHeadings()
            .DisableHtml();
        builder.BlockParsers.TryRemove<ListBlockParser>();
        builder.BlockParsers.TryRemove<ThematicBreakParser>();
        return builder.Build();
    }

    private static void Police(LinkInline link)
    {
        if (link.IsImage)
        {
            // A link to the image, named by its alt text: nothing loads from elsewhere.
            link.IsImage = false;
            if (link.FirstChild is null && link.Url is { } url)
            {
                link.AppendChild(new LiteralInline(url));
            }
        }

        if (!IsAllowed(link.Url) || InsideLink(link))
        {
            // Its text stays, as text.
            while (link.FirstChild is { } child)
            {
                child.Remove();
                link.InsertBefore(child);
            }

            link.Remove();
        }
        else if (link.FirstChild is null)
        {
            link.AppendChild(new LiteralInline(link.Url!));
        }
    }

    // Each @name in the text (MentionSyntax) as <span class="mention">@name</span>; the text around it stays text.
    private static void MarkMentions(LiteralInline literal)
    {
        var text = literal.Content.ToString();
        if (!text.Contains('@', StringComparison.Ordinal))
        {
            return;
        }

        var at = 0;
        Inline last = literal;
        foreach (System.Text.RegularExpressions.Match match in MentionSyntax.Pattern().Matches(text))
        {
            last = Follow(last, new LiteralInline(text[at..match.Index]));
            last = Follow(last, new HtmlInline("<span class=\"mention\">"));
            last = Follow(last, new LiteralInline(match.Value));
            last = Follow(last, new HtmlInline("</span>"));
            at = match.Index + match.Length;
        }

        if (at == 0)
        {
            return;
        }

        Follow(last, new LiteralInline(text[at..]));
        literal.Remove();
    }

    private static Inline Follow(Inline after, Inline next)
    {
        after.InsertAfter(next);
        return next;
    }

    private static bool IsAllowed(string? url) =>
        url is not null
        && AllowedPrefixes.Any(prefix => url.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
        && Uri.TryCreate(url, UriKind.Absolute, out _);

    private static bool InsideLink(Inline inline)
    {
        for (var parent = inline.Parent; parent is not null; parent = parent.Parent)
        {
            if (parent is LinkInline)
            {
                return true;
            }
        }

        return false;
    }
}

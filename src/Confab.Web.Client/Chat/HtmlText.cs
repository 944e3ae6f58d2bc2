using System.Buffers;
using System.Text;

namespace Confab.Web.Chat;

/// <summary>Text into HTML markup built by hand (<see cref="MessageView"/>, <see cref="OnlineList"/>), safe in content and in quoted attributes.</summary>
public static class HtmlText
{
    private static readonly SearchValues<char> Special = SearchValues.Create("&<>\"'");

    /// <summary>Appends <paramref name="text"/> with <c>&amp; &lt; &gt; &quot; &#39;</c> escaped; everything else (emoji too) as it is.</summary>
    public static StringBuilder AppendEscaped(this StringBuilder html, string text)
    {
        var rest = text.AsSpan();
        int next;
        while ((next = rest.IndexOfAny(Special)) >= 0)
        {
            html.Append(rest[..next]).Append(rest[next] switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&quot;",
                _ => "&#39;",
            });
            rest = rest[(next + 1)..];
        }

        return html.Append(rest);
    }
}

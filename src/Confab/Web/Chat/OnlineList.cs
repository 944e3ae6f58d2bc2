using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Components;

namespace Confab.Web.Chat;

/// <summary>
/// Who is online in a room, as the items of the page's list: one markup frame instead of ten per person (fifty people
/// were five hundred frames, twice, on every page of the room), and one string for every page of the room while it is
/// the same list.
/// </summary>
public static class OnlineList
{
    private static readonly ConcurrentDictionary<string, string> LastByTopic = new();

    public static MarkupString Markup(string topic, IReadOnlyList<OnlineUser> users)
    {
        var html = new StringBuilder(users.Count * 160);
        foreach (var user in users)
        {
            html.Append("<li data-user-id=\"").Append(user.Id).Append("\"><span class=\"avatar small hue-").Append(Avatar.Hue(user.Id))
                .Append("\" aria-hidden=\"true\">").AppendEscaped(Avatar.Initial(user.Username))
                .Append("</span><span class=\"online-name\">").AppendEscaped(user.Username)
                // Decoration: the list's heading, "Online", says what the dot means.
                .Append("</span><span class=\"presence-dot\" aria-hidden=\"true\"></span></li>");
        }

        var built = html.ToString();
        var last = LastByTopic.GetOrAdd(topic, built);
        if (last == built)
        {
            return new MarkupString(last);
        }

        LastByTopic[topic] = built;
        return new MarkupString(built);
    }
}

using System.Text;
using Microsoft.AspNetCore.Components;

namespace Confab.Web.Chat;

/// <summary>
/// Who is online in a room, as a page shows it: the users and the items of the page's list as one markup frame instead
/// of ten per person (fifty people were five hundred frames, twice, on every page of the room). On the server, the pages
/// of a room share one while the presence state is the same (<c>RoomOnline</c>).
/// </summary>
public sealed class OnlineList(IReadOnlyList<OnlineUser> users)
{
    public static OnlineList Empty { get; } = new([]);

    public IReadOnlyList<OnlineUser> Users { get; } = users;

    /// <summary>The list's items: <c>&lt;li data-user-id=…&gt;</c> with avatar and name.</summary>
    public MarkupString Markup { get; } = new(Build(users));

    /// <summary>The name of an online user, or null.</summary>
    public string? NameOf(long userId)
    {
        foreach (var user in Users)
        {
            if (user.Id == userId)
            {
                return user.Username;
            }
        }

        return null;
    }

    private static string Build(IReadOnlyList<OnlineUser> users)
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

        return html.ToString();
    }
}

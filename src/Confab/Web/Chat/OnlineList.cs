using System.Collections.Concurrent;
using System.Text;
using Confab.Channels;
using Microsoft.AspNetCore.Components;

namespace Confab.Web.Chat;

/// <summary>
/// Who is online in a room, as every page of the room shows it: the users and the items of the page's list, read from
/// the presence state once per topic and change, and shared by the pages while the state is the same. One markup frame
/// instead of ten per person (fifty people were five hundred frames, twice, on every page of the room), and one list
/// of users instead of one per page.
/// </summary>
public sealed class OnlineList
{
    private static readonly ConcurrentDictionary<string, OnlineList> LastByTopic = new(StringComparer.Ordinal);

    private readonly byte[] state;

    private OnlineList(byte[] state, IReadOnlyList<OnlineUser> users)
    {
        this.state = state;
        Users = users;
        Markup = new MarkupString(Build(users));
    }

    public static OnlineList Empty { get; } = new([], []);

    public IReadOnlyList<OnlineUser> Users { get; }

    /// <summary>The list's items: <c>&lt;li data-user-id=…&gt;</c> with avatar and name.</summary>
    public MarkupString Markup { get; }

    /// <summary>The list for the presence state of <paramref name="topic"/> (<see cref="IPresence.List"/>): the last one built when the state is the same.</summary>
    public static OnlineList Of(string topic, JsonPayload presenceState)
    {
        var bytes = presenceState.Utf8.Span;
        if (LastByTopic.TryGetValue(topic, out var last) && bytes.SequenceEqual(last.state))
        {
            return last;
        }

        var list = new OnlineList(bytes.ToArray(), OnlineUser.FromPresence(presenceState));
        LastByTopic[topic] = list;
        return list;
    }

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

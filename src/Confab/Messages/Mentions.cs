using System.Globalization;
using System.Text.RegularExpressions;
using Confab.Rooms;

namespace Confab.Messages;

/// <summary>
/// Who a message mentions: <c>@username</c> of a member of the room (any case, a whole word), and with <c>@room</c>,
/// when an owner or admin writes it, every member. The author is never among them. Fixed when posted.
/// </summary>
public static class Mentions
{
    public const string Everyone = MentionSyntax.Everyone;

    /// <summary>The ids <paramref name="content"/> mentions among the room's members, ascending.</summary>
    public static IReadOnlyList<long> Find(string content, RoomMembers.Roster roster, long authorId, bool mayMentionEveryone)
    {
        if (!content.Contains('@', StringComparison.Ordinal))
        {
            return [];
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (Match match in MentionSyntax.Pattern().Matches(content))
        {
            names.Add(match.Groups[1].Value);
        }

        if (names.Count == 0)
        {
            return [];
        }

        var everyone = mayMentionEveryone && names.Contains(Everyone);
        return [.. roster.List()
            .Where(member => member.User.Id != authorId && (everyone || names.Contains(member.User.Username)))
            .Select(member => member.User.Id)
            .Order()];
    }

    /// <summary>As stored: a JSON array, <c>[3,5]</c>.</summary>
    public static string Format(IReadOnlyList<long> ids) => "[" + string.Join(',', ids.Select(id => id.ToString(CultureInfo.InvariantCulture))) + "]";

    /// <summary>The ids of a stored array.</summary>
    public static IReadOnlyList<long> Parse(string stored) =>
        [.. stored.Trim('[', ']').Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(id => long.Parse(id, CultureInfo.InvariantCulture))];
}

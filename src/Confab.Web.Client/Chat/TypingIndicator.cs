namespace Confab.Web.Chat;

/// <summary>
/// Who is typing in a room, as one viewer sees it: a user counts as typing for <see cref="Linger"/> after their last notice.
/// "alice is typing…", "alice and bob are typing…", "3 people are typing…".
/// </summary>
public sealed class TypingIndicator(TimeProvider time)
{
    public static readonly TimeSpan Linger = TimeSpan.FromSeconds(3);

    private readonly Dictionary<long, (string Username, DateTimeOffset Until)> typing = [];

    public void Saw(long userId, string username) => typing[userId] = (username, time.GetUtcNow() + Linger);

    /// <summary>Stops showing a user at once (they sent their message).</summary>
    public void Forget(long userId) => typing.Remove(userId);

    public bool IsEmpty => typing.Count == 0;

    /// <summary>When the text next changes by itself (the first notice to expire); null when nobody types.</summary>
    public DateTimeOffset? NextExpiry
    {
        get
        {
            DateTimeOffset? first = null;
            foreach (var (_, until) in typing.Values)
            {
                if (first is null || until < first)
                {
                    first = until;
                }
            }

            return first;
        }
    }

    /// <summary>The text to show now ("" when nobody types); drops users whose notices have expired.</summary>
    public string Describe()
    {
        var now = time.GetUtcNow();
        string? first = null;
        string? second = null;
        var count = 0;
        foreach (var (id, (username, until)) in typing)
        {
            if (until <= now)
            {
                // Removing the current entry while enumerating is allowed for Dictionary.
                typing.Remove(id);
                continue;
            }

            count++;
            if (first is null || string.CompareOrdinal(username, first) < 0)
            {
                second = first;
                first = username;
            }
            else if (second is null || string.CompareOrdinal(username, second) < 0)
            {
                second = username;
            }
        }

        return count switch
        {
            0 => "",
            1 => $"{first} is typing…",
            2 => $"{first} and {second} are typing…",
            _ => $"{count} people are typing…",
        };
    }
}

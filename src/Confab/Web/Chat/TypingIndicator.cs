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

    /// <summary>The text to show now ("" when nobody types); drops users whose notices have expired.</summary>
    public string Describe()
    {
        var now = time.GetUtcNow();
        foreach (var (id, entry) in typing.ToList())
        {
            if (entry.Until <= now)
            {
                typing.Remove(id);
            }
        }

        var names = typing.Values.Select(t => t.Username).Order(StringComparer.Ordinal).ToList();
        return names.Count switch
        {
            0 => "",
            1 => $"{names[0]} is typing…",
            2 => $"{names[0]} and {names[1]} are typing…",
            _ => $"{names.Count} people are typing…",
        };
    }
}

using System.Text.Json;

namespace Confab.Web.Chat;

/// <summary>A user present in a room, with how many connections (tabs, devices) they have there.</summary>
public sealed record OnlineUser(long Id, string Username, int Connections)
{
    /// <summary>Reads a Phoenix presence state <c>{"3": {"metas": [{"username": "alice", ...}]}}</c>, sorted by name.</summary>
    public static IReadOnlyList<OnlineUser> FromPresence(JsonElement state)
    {
        var users = new List<OnlineUser>();
        foreach (var entry in state.EnumerateObject())
        {
            if (From(entry.Name, [.. entry.Value.GetProperty("metas").EnumerateArray()]) is { } user)
            {
                users.Add(user);
            }
        }

        return Sorted(users);
    }

    /// <summary>The user of one presence key (their id) with its metas <c>[{"username": "alice", ...}]</c>; null when it names no user.</summary>
    public static OnlineUser? From(string key, IReadOnlyList<JsonElement> metas)
    {
        if (!long.TryParse(key, System.Globalization.CultureInfo.InvariantCulture, out var id) || metas.Count == 0)
        {
            return null;
        }

        var username = metas[0].ValueKind == JsonValueKind.Object && metas[0].TryGetProperty("username", out var name) && name.ValueKind == JsonValueKind.String
            ? name.GetString() ?? ""
            : "";
        return new OnlineUser(id, username, metas.Count);
    }

    /// <summary>The users by name, as the page lists them.</summary>
    public static List<OnlineUser> Sorted(List<OnlineUser> users)
    {
        users.Sort((a, b) => string.CompareOrdinal(a.Username, b.Username));
        return users;
    }
}

using System.Text.Json;
using Confab.Channels;

namespace Confab.Web.Chat;

/// <summary>A user present in a room, with how many connections (tabs, devices) they have there.</summary>
public sealed record OnlineUser(long Id, string Username, int Connections)
{
    /// <summary>Reads a Phoenix presence state <c>{"3": {"metas": [{"username": "alice", ...}]}}</c>, sorted by name.</summary>
    public static IReadOnlyList<OnlineUser> FromPresence(JsonPayload state)
    {
        using var document = JsonDocument.Parse(state.Utf8);
        var users = new List<OnlineUser>();
        foreach (var entry in document.RootElement.EnumerateObject())
        {
            var metas = entry.Value.GetProperty("metas");
            if (!long.TryParse(entry.Name, System.Globalization.CultureInfo.InvariantCulture, out var id) || metas.GetArrayLength() == 0)
            {
                continue;
            }

            var username = metas[0].TryGetProperty("username", out var name) ? name.GetString() ?? "" : "";
            users.Add(new OnlineUser(id, username, metas.GetArrayLength()));
        }

        users.Sort((a, b) => string.CompareOrdinal(a.Username, b.Username));
        return users;
    }
}

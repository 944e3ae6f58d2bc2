using System.Net;
using System.Net.Http.Headers;

namespace Confab.Tests.Infrastructure;

/// <summary>What every shared database (D1, PostgreSQL) must carry for the whole server, and for a second node on it.</summary>
public static class SharedDatabase
{
    /// <summary>
    /// Accounts, rooms, messages (with a client_id retry), paging and readiness on a server with <paramref name="settings"/>;
    /// then a second server on the same database (another node, or this one restarted) sees it all and accepts the token.
    /// </summary>
    public static async Task AccountsRoomsAndMessagesAsync(Dictionary<string, string?> settings)
    {
        await using var app = new ConfabFactory(settings);
        var alice = await app.ClientForNewUserAsync("alice").Within();

        Assert.Equal("Healthy", (await alice.GetJsonAsync("/readyz").Within()).GetProperty("status").GetString());
        await alice.PostJsonAsync("/api/rooms", new { name = "Night Owls", description = "Late." }, HttpStatusCode.Created).Within();
        await alice.PostJsonAsync("/api/rooms", new { name = "night owls", description = "" }, HttpStatusCode.Conflict).Within();
        var first = await alice.PostJsonAsync("/api/rooms/night-owls/messages", new { content = "hello 😀", client_id = "c1" }, HttpStatusCode.Created).Within();
        var retry = await alice.PostJsonAsync("/api/rooms/night-owls/messages", new { content = "hello 😀", client_id = "c1" }, HttpStatusCode.OK).Within();
        for (var i = 2; i <= 5; i++)
        {
            await alice.PostJsonAsync("/api/rooms/night-owls/messages", new { content = $"m{i}" }, HttpStatusCode.Created).Within();
        }

        Assert.Equal(first.GetProperty("id").GetInt64(), retry.GetProperty("id").GetInt64());
        var page = await alice.GetJsonAsync("/api/rooms/night-owls/messages?after_seq=1&limit=3").Within();
        Assert.Equal([2L, 3L, 4L], page.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("seq").GetInt64()));
        Assert.True(page.GetProperty("has_more").GetBoolean());
        var latest = await alice.GetJsonAsync("/api/rooms/night-owls/messages").Within();
        Assert.Equal("hello 😀", latest.GetProperty("messages")[0].GetProperty("content").GetString());

        // A second server on the same D1 (another node, or this one restarted) sees it all and accepts alice's token.
        await using var other = new ConfabFactory(new Dictionary<string, string?>(app.Settings));
        var again = other.CreateClient();
        again.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", alice.DefaultRequestHeaders.Authorization!.Parameter);
        Assert.Equal(4, (await again.GetJsonAsync("/api/rooms").Within()).GetArrayLength());
        Assert.Equal(5, (await again.GetJsonAsync("/api/rooms/night-owls/messages").Within()).GetProperty("messages").GetArrayLength());
    }
}

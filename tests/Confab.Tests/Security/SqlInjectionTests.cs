using System.Net;
using Confab.Tests.Infrastructure;

namespace Confab.Tests.Security;

/// <summary>SQL injection in every text field and route value: stored verbatim as text, or refused by validation, never run.</summary>
public sealed class SqlInjectionTests
{
    public static readonly TheoryData<string> Attacks = new()
    {
        "' OR '1'='1",
        "'; DROP TABLE messages; --",
        "\" OR \"\"=\"",
        "1; DELETE FROM users",
        "' UNION SELECT password_hash, 1, 1, 1 FROM users --",
        "%' --",
        "\\'; UPDATE users SET username='pwned' WHERE '1'='1",
        "?1 ?2 :name @p $1",
    };

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task Text_fields_and_route_values_are_only_ever_text(string attack)
    {
        await using var app = new ConfabFactory();
        var client = app.CreateClient();
        var email = $"a{attack.Length}'--@example.com";

        // Usernames only allow a-z, 0-9, _ and -; an email and a password may carry anything.
        await client.PostJsonAsync("/api/users", new { username = attack, email = "x@example.com", password = "s3cret-pass" }, HttpStatusCode.UnprocessableEntity);
        await client.PostJsonAsync("/api/users", new { username = "alice", email, password = attack + "-long-enough" }, HttpStatusCode.Created);
        await client.PostJsonAsync("/api/auth/token", new { username = attack, password = attack }, HttpStatusCode.Unauthorized);
        await client.PostJsonAsync("/api/auth/token", new { username = "alice", password = "' OR '1'='1" }, HttpStatusCode.Unauthorized);
        var token = await client.PostJsonAsync("/api/auth/token", new { username = email, password = attack + "-long-enough" }, HttpStatusCode.OK);
        client.DefaultRequestHeaders.Authorization = new("Bearer", token.GetProperty("token").GetString());

        var room = await client.PostJsonAsync("/api/rooms", new { name = attack + " room", description = attack }, HttpStatusCode.Created);
        Assert.Equal(attack + " room", room.GetProperty("name").GetString());
        Assert.Equal(attack, room.GetProperty("description").GetString());
        var slug = room.GetProperty("slug").GetString()!;
        Assert.Matches("^[a-z0-9-]+$", slug);

        var posted = await client.PostJsonAsync($"/api/rooms/{slug}/messages", new { content = attack, client_id = attack }, HttpStatusCode.Created);
        Assert.Equal(attack, posted.GetProperty("content").GetString());
        await client.PostJsonAsync($"/api/rooms/{slug}/messages", new { content = "again", client_id = attack }, HttpStatusCode.OK);
        await client.GetJsonAsync($"/api/rooms/{Uri.EscapeDataString(attack)}", HttpStatusCode.NotFound);
        await client.GetJsonAsync($"/api/rooms/{Uri.EscapeDataString(attack)}/messages", HttpStatusCode.NotFound);
        await client.GetJsonAsync($"/api/rooms/general/messages?before_seq={Uri.EscapeDataString(attack)}", HttpStatusCode.BadRequest);

        // Everything is where it was put, as it was put, and nothing else changed.
        var stored = Assert.Single((await client.GetJsonAsync($"/api/rooms/{slug}/messages")).GetProperty("messages").EnumerateArray());
        Assert.Equal(attack, stored.GetProperty("content").GetString());
        Assert.Equal(attack, stored.GetProperty("client_id").GetString());
        Assert.Equal("alice", stored.GetProperty("user").GetProperty("username").GetString());
        Assert.Equal(email, (await client.GetJsonAsync("/api/auth/me")).GetProperty("email").GetString());
        Assert.Equal(4, (await client.GetJsonAsync("/api/rooms")).GetArrayLength());
        Assert.Empty((await client.GetJsonAsync("/api/rooms/general/messages")).GetProperty("messages").EnumerateArray());
    }
}

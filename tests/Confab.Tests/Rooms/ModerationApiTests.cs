using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Confab.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Confab.Tests.Rooms;

/// <summary>Roles and moderation over HTTP: who may do what to whom, mutes that end, bans, slow mode, server admins.</summary>
public sealed class ModerationApiTests
{
    private static async Task<JsonElement> SendAsync(HttpClient client, HttpMethod method, string path, object? body, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        var response = await client.SendAsync(request);
        var json = response.Content.Headers.ContentLength is 0 or null ? default : await response.ReadJsonAsync();
        Assert.True(response.StatusCode == expected, $"{method} {path}: expected {(int)expected}, got {(int)response.StatusCode}: {json}");
        return json;
    }

    private static async Task<long> PostAsync(HttpClient client, string room, string content) =>
        (await client.PostJsonAsync($"/api/rooms/{room}/messages", new { content }, HttpStatusCode.Created)).GetProperty("id").GetInt64();

    [Fact]
    public async Task People_are_found_by_the_start_of_their_username_in_any_case_deactivated_ones_not()
    {
        await using var app = new ConfabFactory(new() { ["Confab:Admins"] = "root" });
        var root = await app.ClientForNewUserAsync("root");
        foreach (var name in new[] { "anna", "annabel", "Anne_x", "annexe", "bob" })
        {
            await app.ClientForNewUserAsync(name);
        }

        async Task<string[]> FindAsync(string query) =>
            [.. (await root.GetJsonAsync($"/api/users?q={Uri.EscapeDataString(query)}")).GetProperty("users").EnumerateArray()
                .Select(user => user.GetProperty("username").GetString()!)];

        Assert.Equal(["anna", "annabel", "Anne_x", "annexe"], await FindAsync("ANN"));
        // % and _ are the letters they are, not patterns.
        Assert.Equal(["Anne_x"], await FindAsync("anne_"));
        Assert.Empty(await FindAsync("%"));
        Assert.Equal(2, (await root.GetJsonAsync("/api/users?q=ann&limit=2")).GetProperty("users").GetArrayLength());
        await SendAsync(root, HttpMethod.Get, "/api/users?q=ann&limit=0", null, HttpStatusCode.UnprocessableEntity);
        await SendAsync(root, HttpMethod.Get, "/api/users?q=ann&limit=51", null, HttpStatusCode.UnprocessableEntity);

        await SendAsync(root, HttpMethod.Post, "/api/users/annexe/deactivate", null, HttpStatusCode.NoContent);
        Assert.Equal(["anna", "annabel", "Anne_x"], await FindAsync("ann"));
        using var anonymous = app.CreateClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/users?q=ann")).StatusCode);
    }

    [Fact]
    public async Task Owners_make_admins_admins_moderate_members_and_nobody_acts_on_their_own_rank_or_above()
    {
        await using var app = new ConfabFactory();
        var alice = await app.ClientForNewUserAsync("alice");
        var bob = await app.ClientForNewUserAsync("bob");
        var carol = await app.ClientForNewUserAsync("carol");
        var created = await alice.PostJsonAsync("/api/rooms", new { name = "Crew" }, HttpStatusCode.Created);
        Assert.Equal("owner", created.GetProperty("role").GetString());
        Assert.Equal("public", created.GetProperty("visibility").GetString());

        // Members join a public room by posting (or joining its channel).
        await PostAsync(bob, "crew", "hi");
        var carols = await PostAsync(carol, "crew", "spam");
        Assert.Equal("member", (await bob.GetJsonAsync("/api/rooms/crew")).GetProperty("role").GetString());

        // A member deletes nobody else's message, adds nobody, gives no roles.
        await SendAsync(bob, HttpMethod.Delete, $"/api/rooms/crew/messages/{carols}", null, HttpStatusCode.Forbidden);
        await bob.PostJsonAsync("/api/rooms/crew/members", new { username = "dave" }, HttpStatusCode.NotFound);
        await app.ClientForNewUserAsync("dave");
        await bob.PostJsonAsync("/api/rooms/crew/members", new { username = "dave" }, HttpStatusCode.Forbidden);
        await SendAsync(bob, HttpMethod.Patch, "/api/rooms/crew/members/carol", new { role = "admin" }, HttpStatusCode.Forbidden);

        // The owner makes bob an admin: he moderates members, but makes no admins and does not touch the owner.
        var promoted = await SendAsync(alice, HttpMethod.Patch, "/api/rooms/crew/members/bob", new { role = "admin" }, HttpStatusCode.OK);
        Assert.Equal("admin", promoted.GetProperty("role").GetString());
        await SendAsync(alice, HttpMethod.Patch, "/api/rooms/crew/members/bob", new { role = "boss" }, HttpStatusCode.UnprocessableEntity);
        await SendAsync(bob, HttpMethod.Delete, $"/api/rooms/crew/messages/{carols}", null, HttpStatusCode.NoContent);
        var deleted = (await bob.GetJsonAsync("/api/rooms/crew/messages")).GetProperty("messages").EnumerateArray().Single(m => m.GetProperty("id").GetInt64() == carols);
        Assert.True(deleted.GetProperty("deleted").GetBoolean());
        await bob.PostJsonAsync("/api/rooms/crew/members", new { username = "dave", role = "admin" }, HttpStatusCode.Forbidden);
        var added = await bob.PostJsonAsync("/api/rooms/crew/members", new { username = "dave" }, HttpStatusCode.Created);
        Assert.Equal("dave", added.GetProperty("user").GetProperty("username").GetString());
        await SendAsync(bob, HttpMethod.Delete, "/api/rooms/crew/members/alice", null, HttpStatusCode.Forbidden);
        await bob.PostJsonAsync("/api/rooms/crew/bans", new { username = "alice" }, HttpStatusCode.Forbidden);
        await SendAsync(bob, HttpMethod.Delete, "/api/rooms/crew/members/dave", null, HttpStatusCode.NoContent);

        var members = await alice.GetJsonAsync("/api/rooms/crew/members");
        Assert.Equal(
            ["alice:owner", "bob:admin", "carol:member"],
            members.EnumerateArray().Select(m => $"{m.GetProperty("user").GetProperty("username").GetString()}:{m.GetProperty("role").GetString()}"));

        // Every change is a room event, in the room's one sequence.
        var events = (await alice.GetJsonAsync("/api/rooms/crew/events?after_seq=0")).GetProperty("events").EnumerateArray()
            .Select(e => e.GetProperty("event").GetString()).ToList();
        Assert.Equal(
            ["member_added", "member_added", "new_message", "member_added", "new_message", "member_updated", "message_deleted", "member_added", "member_removed"],
            events);
    }

    [Fact]
    public async Task A_mute_refuses_posts_until_it_ends_and_a_ban_keeps_someone_out_until_lifted()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = new ConfabFactory(time: clock);
        var alice = await app.ClientForNewUserAsync("alice");
        var carol = await app.ClientForNewUserAsync("carol");
        await alice.PostJsonAsync("/api/rooms", new { name = "Crew" }, HttpStatusCode.Created);
        await PostAsync(carol, "crew", "first");

        await carol.PostJsonAsync("/api/rooms/crew/mutes", new { username = "alice", seconds = 60 }, HttpStatusCode.Forbidden);
        await alice.PostJsonAsync("/api/rooms/crew/mutes", new { username = "carol", seconds = -1 }, HttpStatusCode.UnprocessableEntity);
        var muted = await alice.PostJsonAsync("/api/rooms/crew/mutes", new { username = "carol", seconds = 60 }, HttpStatusCode.OK);
        Assert.NotEqual(JsonValueKind.Null, muted.GetProperty("muted_until").ValueKind);
        var refused = await carol.PostJsonAsync("/api/rooms/crew/messages", new { content = "let me talk" }, HttpStatusCode.Forbidden);
        Assert.StartsWith("you are muted in this room until", refused.GetProperty("detail").GetString());

        clock.Advance(TimeSpan.FromSeconds(61));
        await PostAsync(carol, "crew", "back");

        // Banned: out of the room, which no longer exists for her, even though it is public; lifted, she may come back.
        await SendAsync(alice, HttpMethod.Post, "/api/rooms/crew/bans", new { username = "carol" }, HttpStatusCode.NoContent);
        await carol.GetJsonAsync("/api/rooms/crew", HttpStatusCode.NotFound);
        await carol.PostJsonAsync("/api/rooms/crew/messages", new { content = "again" }, HttpStatusCode.NotFound);
        Assert.DoesNotContain("crew", (await carol.GetJsonAsync("/api/rooms")).EnumerateArray().Select(r => r.GetProperty("slug").GetString()));
        await alice.PostJsonAsync("/api/rooms/crew/members", new { username = "carol" }, HttpStatusCode.UnprocessableEntity);

        await SendAsync(alice, HttpMethod.Delete, "/api/rooms/crew/bans/carol", null, HttpStatusCode.NoContent);
        await SendAsync(alice, HttpMethod.Delete, "/api/rooms/crew/bans/carol", null, HttpStatusCode.NotFound);
        await PostAsync(carol, "crew", "thanks");
    }

    [Fact]
    public async Task Slow_mode_holds_members_to_one_post_per_period_and_exempts_moderators()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = new ConfabFactory(time: clock);
        var alice = await app.ClientForNewUserAsync("alice");
        var carol = await app.ClientForNewUserAsync("carol");
        await alice.PostJsonAsync("/api/rooms", new { name = "Crew" }, HttpStatusCode.Created);
        await PostAsync(carol, "crew", "joined");

        await SendAsync(carol, HttpMethod.Patch, "/api/rooms/crew", new { slow_mode_seconds = 10 }, HttpStatusCode.Forbidden);
        await SendAsync(alice, HttpMethod.Patch, "/api/rooms/crew", new { slow_mode_seconds = 100000 }, HttpStatusCode.UnprocessableEntity);
        var room = await SendAsync(alice, HttpMethod.Patch, "/api/rooms/crew", new { slow_mode_seconds = 10 }, HttpStatusCode.OK);
        Assert.Equal(10, room.GetProperty("slow_mode_seconds").GetInt32());

        await PostAsync(carol, "crew", "one");
        clock.Advance(TimeSpan.FromSeconds(4));
        var held = await carol.PostJsonAsync("/api/rooms/crew/messages", new { content = "two" }, HttpStatusCode.TooManyRequests);
        Assert.Equal("Slow mode: one message every 10 seconds.", held.GetProperty("detail").GetString());
        Assert.InRange(held.GetProperty("retry_after_ms").GetInt64(), 5_900, 6_000);
        await PostAsync(alice, "crew", "owners are exempt");
        await PostAsync(alice, "crew", "twice");

        clock.Advance(TimeSpan.FromSeconds(6));
        await PostAsync(carol, "crew", "two");

        var last = (await carol.GetJsonAsync("/api/rooms/crew/events?after_seq=0")).GetProperty("events").EnumerateArray()
            .Single(e => e.GetProperty("event").GetString() == "room_updated");
        Assert.Equal(10, last.GetProperty("payload").GetProperty("slow_mode_seconds").GetInt32());
    }

    [Fact]
    public async Task Server_admins_moderate_any_private_room_but_not_direct_ones()
    {
        await using var app = new ConfabFactory(new() { ["Confab:Admins"] = "root" });
        var root = await app.ClientForNewUserAsync("root");
        var alice = await app.ClientForNewUserAsync("alice");
        await app.ClientForNewUserAsync("bob");
        await alice.PostJsonAsync("/api/rooms", new { name = "Hideout", visibility = "private" }, HttpStatusCode.Created);
        var message = await PostAsync(alice, "hideout", "secret plans");

        await SendAsync(root, HttpMethod.Delete, $"/api/rooms/hideout/messages/{message}", null, HttpStatusCode.NoContent);
        await SendAsync(root, HttpMethod.Patch, "/api/rooms/hideout", new { slow_mode_seconds = 5 }, HttpStatusCode.OK);
        Assert.DoesNotContain("hideout", (await root.GetJsonAsync("/api/rooms")).EnumerateArray().Select(r => r.GetProperty("slug").GetString()));

        var direct = await alice.PostJsonAsync("/api/dms", new { username = "bob" }, HttpStatusCode.Created);
        var slug = direct.GetProperty("slug").GetString();
        await root.GetJsonAsync($"/api/rooms/{slug}/members", HttpStatusCode.NotFound);
        await root.PostJsonAsync($"/api/rooms/{slug}/bans", new { username = "bob" }, HttpStatusCode.NotFound);
    }
}

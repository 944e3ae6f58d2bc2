using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Confab.Tests.Infrastructure;
using Microsoft.Data.Sqlite;

namespace Confab.Tests.Messages;

/// <summary>Edits, deletes, reactions and the event log over REST: the same rules and events as the socket, as HTTP means them.</summary>
public sealed class MessageEventsApiTests
{
    private static readonly Dictionary<string, string?> NoRateLimit = new() { ["Confab:Messages:RateLimitCount"] = "100000" };

    private static async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpClient client, HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    [Fact]
    public async Task Edit_delete_and_react_answer_as_http_means_and_the_events_list_them_in_order()
    {
        await using var app = new ConfabFactory(NoRateLimit);
        var alice = await app.ClientForNewUserAsync("alice");
        var bob = await app.ClientForNewUserAsync("bob");
        var posted = await alice.PostJsonAsync("/api/rooms/general/messages", new { content = "hello" }, HttpStatusCode.Created);
        var id = posted.GetProperty("id").GetInt64();
        var path = $"/api/rooms/general/messages/{id}";

        var (editStatus, edited) = await SendAsync(alice, HttpMethod.Patch, path, new { content = "hello, edited" });
        Assert.Equal(HttpStatusCode.OK, editStatus);
        Assert.Equal(("hello, edited", 2L), (edited.GetProperty("content").GetString(), edited.GetProperty("seq").GetInt64()));
        Assert.Equal(JsonValueKind.String, edited.GetProperty("edited_at").ValueKind);

        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(bob, HttpMethod.Patch, path, new { content = "bob's" })).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(bob, HttpMethod.Delete, path)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(alice, HttpMethod.Patch, "/api/rooms/general/messages/999999", new { content = "x" })).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(alice, HttpMethod.Patch, $"/api/rooms/random/messages/{id}", new { content = "x" })).Status);
        var (blankStatus, blank) = await SendAsync(alice, HttpMethod.Patch, path, new { content = " " });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, blankStatus);
        Assert.Equal(["content can't be blank"], blank.FieldErrors("content"));

        var thumbs = $"{path}/reactions/{Uri.EscapeDataString("👍")}";
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(bob, HttpMethod.Put, thumbs)).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(bob, HttpMethod.Put, thumbs)).Status); // twice: no new event
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await SendAsync(bob, HttpMethod.Put, $"{path}/reactions/ab")).Status);
        var state = (await bob.GetJsonAsync("/api/rooms/general/messages")).GetProperty("messages")[0];
        var reaction = Assert.Single(state.GetProperty("reactions").EnumerateArray());
        Assert.Equal(("👍", 1, 2L), (reaction.GetProperty("emoji").GetString(), reaction.GetProperty("count").GetInt32(), reaction.GetProperty("user_ids")[0].GetInt64()));
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(bob, HttpMethod.Delete, thumbs)).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(bob, HttpMethod.Delete, thumbs)).Status); // not there: no new event

        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(alice, HttpMethod.Delete, path)).Status);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await SendAsync(alice, HttpMethod.Delete, path)).Status);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await SendAsync(alice, HttpMethod.Patch, path, new { content = "back" })).Status);

        var events = await bob.GetJsonAsync("/api/rooms/general/events?after_seq=0");
        Assert.False(events.GetProperty("has_more").GetBoolean());
        Assert.Equal(
            [("member_added", 1L), ("new_message", 2L), ("message_updated", 3L), ("reaction_added", 4L), ("reaction_removed", 5L), ("message_deleted", 6L)],
            events.GetProperty("events").EnumerateArray().Select(e => (e.GetProperty("event").GetString()!, e.GetProperty("payload").GetProperty("seq").GetInt64())));
        // Each payload whole, as its broadcast carried it (a client replays them as it applies broadcasts).
        var payloads = events.GetProperty("events").EnumerateArray().Skip(1).Select(e => e.GetProperty("payload")).ToList();
        var joined = events.GetProperty("events")[0].GetProperty("payload");
        Assert.Equal(("alice", "member"), (joined.GetProperty("user").GetProperty("username").GetString(), joined.GetProperty("role").GetString()));
        Assert.Equal(id, payloads[0].GetProperty("id").GetInt64());
        Assert.Equal("alice", payloads[0].GetProperty("user").GetProperty("username").GetString());
        Assert.Equal(id, payloads[1].GetProperty("message").GetProperty("id").GetInt64());
        Assert.Equal(("👍", "bob"), (payloads[2].GetProperty("emoji").GetString(), payloads[2].GetProperty("user").GetProperty("username").GetString()));
        Assert.Equal(id, payloads[4].GetProperty("message_id").GetInt64());
        var tombstone = (await bob.GetJsonAsync("/api/rooms/general/messages")).GetProperty("messages")[0];
        Assert.Equal(("", true), (tombstone.GetProperty("content").GetString(), tombstone.GetProperty("deleted").GetBoolean()));

        await bob.GetJsonAsync("/api/rooms/general/events", HttpStatusCode.UnprocessableEntity);
        await bob.GetJsonAsync("/api/rooms/general/events?after_seq=0&limit=501", HttpStatusCode.UnprocessableEntity);
        await bob.GetJsonAsync("/api/rooms/nowhere/events?after_seq=0", HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task An_edit_is_rate_limited_like_a_post()
    {
        await using var app = new ConfabFactory(new() { ["Confab:Messages:RateLimitCount"] = "2" });
        var alice = await app.ClientForNewUserAsync("alice");
        var id = (await alice.PostJsonAsync("/api/rooms/general/messages", new { content = "one" }, HttpStatusCode.Created)).GetProperty("id").GetInt64();

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(alice, HttpMethod.Patch, $"/api/rooms/general/messages/{id}", new { content = "two" })).Status);
        var (status, _) = await SendAsync(alice, HttpMethod.Patch, $"/api/rooms/general/messages/{id}", new { content = "three" });

        Assert.Equal(HttpStatusCode.TooManyRequests, status);
    }

    [Fact]
    public async Task A_deleted_messages_text_is_gone_from_the_database_file()
    {
        await using var app = new ConfabFactory();
        var alice = await app.ClientForNewUserAsync("alice");
        const string secret = "my password is hunter2-7f3c9a";
        var id = (await alice.PostJsonAsync("/api/rooms/general/messages", new { content = secret }, HttpStatusCode.Created)).GetProperty("id").GetInt64();
        await SendAsync(alice, HttpMethod.Patch, $"/api/rooms/general/messages/{id}", new { content = secret + " (edited)" });
        // Others around it on the same page: the freed space of its cell lies between theirs, where SQLite leaves old bytes
        // unless told to zero them.
        for (var i = 0; i < 5; i++)
        {
            await alice.PostJsonAsync("/api/rooms/general/messages", new { content = $"neighbour {i}" }, HttpStatusCode.Created);
        }

        Checkpoint(app.DatabasePath);
        Assert.True(FileContains(app.DatabasePath, secret) || FileContains(app.DatabasePath + "-wal", secret), "the text was written at all");

        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(alice, HttpMethod.Delete, $"/api/rooms/general/messages/{id}")).Status);
        Checkpoint(app.DatabasePath);

        Assert.False(FileContains(app.DatabasePath, secret), "the deleted text is still in the database file");
        Assert.False(FileContains(app.DatabasePath + "-wal", secret), "the deleted text is still in the write-ahead log");
    }

    private static void Checkpoint(string databasePath)
    {
        using var connection = new SqliteConnection($"Data Source={databasePath}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
        command.ExecuteNonQuery();
    }

    private static bool FileContains(string path, string text)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var bytes = new MemoryStream();
        file.CopyTo(bytes);
        return bytes.ToArray().AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(text)) >= 0;
    }
}

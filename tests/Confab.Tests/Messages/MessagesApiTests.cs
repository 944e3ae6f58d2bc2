using System.Net;
using System.Net.Http.Json;
using Confab.Tests.Infrastructure;

namespace Confab.Tests.Messages;

public sealed class MessagesApiTests
{
    private static readonly Dictionary<string, string?> NoRateLimit = new() { ["Confab:Messages:RateLimitCount"] = "100000" };

    [Fact]
    public async Task A_posted_message_is_stored_and_returned_as_plain_text()
    {
        await using var app = new ConfabFactory();
        var client = await app.ClientForNewUserAsync("alice");

        var posted = await client.PostJsonAsync("/api/rooms/general/messages", new { content = "  <script>alert(1)</script>\n second line\t \u0007 " }, HttpStatusCode.Created);

        Assert.Equal("<script>alert(1)</script>\n second line", posted.GetProperty("content").GetString());
        // Seq 1 is alice joining the room (member_added): posting to a public room joins it.
        Assert.Equal(2, posted.GetProperty("seq").GetInt64());
        Assert.Equal("alice", posted.GetProperty("user").GetProperty("username").GetString());
        Assert.False(posted.TryGetProperty("client_id", out _));
        var history = await client.GetJsonAsync("/api/rooms/general/messages");
        var stored = Assert.Single(history.GetProperty("messages").EnumerateArray());
        Assert.Equal("<script>alert(1)</script>\n second line", stored.GetProperty("content").GetString());
        Assert.Equal(posted.GetProperty("inserted_at").GetString(), stored.GetProperty("inserted_at").GetString());
        Assert.EndsWith("Z", stored.GetProperty("inserted_at").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Content_of_2000_characters_is_accepted_and_2001_rejected_never_truncated()
    {
        await using var app = new ConfabFactory();
        var client = await app.ClientForNewUserAsync("alice");

        var ok = await client.PostJsonAsync("/api/rooms/general/messages", new { content = new string('a', 2000) }, HttpStatusCode.Created);
        Assert.Equal(2000, ok.GetProperty("content").GetString()!.Length);
        var emoji = string.Concat(Enumerable.Repeat("😀", 2000));
        await client.PostJsonAsync("/api/rooms/general/messages", new { content = emoji }, HttpStatusCode.Created);

        var problem = await client.PostJsonAsync("/api/rooms/general/messages", new { content = new string('a', 2001) }, HttpStatusCode.UnprocessableEntity);
        Assert.Equal(["content must be at most 2000 characters"], problem.FieldErrors("content"));
        Assert.Equal(2, (await client.GetJsonAsync("/api/rooms/general/messages")).GetProperty("messages").GetArrayLength());
    }

    [Theory]
    [InlineData("")]
    [InlineData("   \n\t ")]
    [InlineData("\u0001\u0002")]
    public async Task Blank_content_is_422(string content)
    {
        await using var app = new ConfabFactory();
        var client = await app.ClientForNewUserAsync("alice");

        var problem = await client.PostJsonAsync("/api/rooms/general/messages", new { content }, HttpStatusCode.UnprocessableEntity);

        Assert.Equal(["content can't be blank"], problem.FieldErrors("content"));
    }

    [Fact]
    public async Task Posting_to_an_unknown_room_is_404_and_without_a_token_401()
    {
        await using var app = new ConfabFactory();
        var client = await app.ClientForNewUserAsync("alice");

        await client.PostJsonAsync("/api/rooms/nope/messages", new { content = "hi" }, HttpStatusCode.NotFound);
        await client.GetJsonAsync("/api/rooms/nope/messages", HttpStatusCode.NotFound);
        var anonymous = await app.CreateClient().PostAsJsonAsync("/api/rooms/general/messages", new { content = "hi" });
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task A_client_id_retry_returns_the_original_message_and_stores_one_row()
    {
        await using var app = new ConfabFactory();
        var client = await app.ClientForNewUserAsync("alice");

        var first = await client.PostJsonAsync("/api/rooms/general/messages", new { content = "once", client_id = "c-1" }, HttpStatusCode.Created);
        var retry = await client.PostJsonAsync("/api/rooms/general/messages", new { content = "once", client_id = "c-1" }, HttpStatusCode.OK);

        Assert.Equal(first.GetProperty("id").GetInt64(), retry.GetProperty("id").GetInt64());
        Assert.Equal(first.GetProperty("seq").GetInt64(), retry.GetProperty("seq").GetInt64());
        Assert.Equal("c-1", retry.GetProperty("client_id").GetString());
        var history = await client.GetJsonAsync("/api/rooms/general/messages");
        Assert.Single(history.GetProperty("messages").EnumerateArray());

        // The key is the sender's: another user may use the same one.
        var bob = await app.ClientForNewUserAsync("bob");
        await bob.PostJsonAsync("/api/rooms/general/messages", new { content = "mine", client_id = "c-1" }, HttpStatusCode.Created);
    }

    [Fact]
    public async Task Concurrent_retries_with_one_client_id_store_one_row()
    {
        await using var app = new ConfabFactory(NoRateLimit);
        var client = await app.ClientForNewUserAsync("alice");

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ =>
            client.PostAsJsonAsync("/api/rooms/general/messages", new { content = "same", client_id = "dup" })));

        Assert.All(responses, r => Assert.True(r.IsSuccessStatusCode));
        var ids = await Task.WhenAll(responses.Select(async r => (await r.ReadJsonAsync()).GetProperty("id").GetInt64()));
        Assert.Single(ids.Distinct());
        Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
        Assert.Single((await client.GetJsonAsync("/api/rooms/general/messages")).GetProperty("messages").EnumerateArray());
    }

    [Fact]
    public async Task Seq_runs_1_to_N_with_no_gaps_while_20_tasks_post_concurrently()
    {
        await using var app = new ConfabFactory(NoRateLimit);
        var clients = new List<HttpClient>();
        for (var i = 0; i < 4; i++)
        {
            // Joined first (seqs 1 to 4: member_added), so that the messages' seqs are 5 to 204.
            clients.Add(await app.ClientForNewMemberAsync($"user{i}", "general"));
        }

        var seqs = await Task.WhenAll(Enumerable.Range(0, 20).Select(async task =>
        {
            var mine = new List<long>();
            for (var n = 0; n < 10; n++)
            {
                var json = await clients[task % 4].PostJsonAsync("/api/rooms/general/messages", new { content = $"t{task} n{n}" }, HttpStatusCode.Created);
                mine.Add(json.GetProperty("seq").GetInt64());
            }

            return mine;
        }));

        // Each task's own messages are ordered, and all seqs together are exactly 5..204.
        Assert.All(seqs, mine => Assert.Equal(mine.Order(), mine));
        Assert.Equal(Enumerable.Range(5, 200).Select(i => (long)i), seqs.SelectMany(s => s).Order());
        // Another room has its own sequence (1: user0 joining it).
        var other = await clients[0].PostJsonAsync("/api/rooms/random/messages", new { content = "first" }, HttpStatusCode.Created);
        Assert.Equal(2, other.GetProperty("seq").GetInt64());
    }

    [Fact]
    public async Task History_pages_over_250_messages_have_no_gaps_or_duplicates_and_are_ordered()
    {
        await using var app = new ConfabFactory(NoRateLimit);
        // Seq 1 is alice joining: the messages are 2 to 251.
        var client = await app.ClientForNewMemberAsync("alice", "general");
        for (var i = 1; i <= 250; i++)
        {
            await client.PostJsonAsync("/api/rooms/general/messages", new { content = $"m{i}" }, HttpStatusCode.Created);
        }

        // Backwards from the newest, as a UI scrolls up.
        var backwards = new List<long>();
        long? before = null;
        while (true)
        {
            var page = await client.GetJsonAsync($"/api/rooms/general/messages?limit=100{(before is null ? "" : $"&before_seq={before}")}");
            var seqs = page.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("seq").GetInt64()).ToList();
            Assert.Equal(seqs.Order(), seqs);
            backwards.InsertRange(0, seqs);
            if (!page.GetProperty("has_more").GetBoolean())
            {
                break;
            }

            before = seqs[0];
        }

        // Forwards from a known seq, as a reconnecting client catches up.
        var forwards = new List<long>();
        long after = 0;
        while (true)
        {
            var page = await client.GetJsonAsync($"/api/rooms/general/messages?after_seq={after}&limit=64");
            var seqs = page.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("seq").GetInt64()).ToList();
            forwards.AddRange(seqs);
            if (!page.GetProperty("has_more").GetBoolean())
            {
                break;
            }

            after = seqs[^1];
        }

        var expected = Enumerable.Range(2, 250).Select(i => (long)i).ToList();
        Assert.Equal(expected, backwards);
        Assert.Equal(expected, forwards);
        var latest = await client.GetJsonAsync("/api/rooms/general/messages");
        Assert.Equal(Enumerable.Range(202, 50).Select(i => (long)i), latest.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("seq").GetInt64()));
        Assert.Equal("m250", latest.GetProperty("messages")[49].GetProperty("content").GetString());
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=101", "limit")]
    [InlineData("before_seq=-1", "before_seq")]
    [InlineData("after_seq=-5", "after_seq")]
    public async Task Bad_paging_parameters_are_422(string query, string field)
    {
        await using var app = new ConfabFactory();
        var client = await app.ClientForNewUserAsync("alice");

        var problem = await client.GetJsonAsync($"/api/rooms/general/messages?{query}", HttpStatusCode.UnprocessableEntity);

        Assert.Single(problem.FieldErrors(field));
    }

    [Fact]
    public async Task A_non_numeric_paging_parameter_is_400()
    {
        await using var app = new ConfabFactory();
        var client = await app.ClientForNewUserAsync("alice");

        await client.GetJsonAsync("/api/rooms/general/messages?limit=abc", HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task The_eleventh_message_in_ten_seconds_is_429_with_retry_after()
    {
        await using var app = new ConfabFactory();
        var client = await app.ClientForNewUserAsync("alice");
        for (var i = 0; i < 10; i++)
        {
            await client.PostJsonAsync("/api/rooms/general/messages", new { content = $"m{i}" }, HttpStatusCode.Created);
        }

        var response = await client.PostAsJsonAsync("/api/rooms/general/messages", new { content = "one too many" });
        var problem = await response.ReadJsonAsync();

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.InRange(int.Parse(response.Headers.GetValues("Retry-After").Single(), System.Globalization.CultureInfo.InvariantCulture), 1, 10);
        Assert.InRange(problem.GetProperty("retry_after_ms").GetInt64(), 1, 10_000);
        Assert.Equal(10, (await client.GetJsonAsync("/api/rooms/general/messages")).GetProperty("messages").GetArrayLength());
        // The limit is per user.
        var bob = await app.ClientForNewUserAsync("bob");
        await bob.PostJsonAsync("/api/rooms/general/messages", new { content = "hi" }, HttpStatusCode.Created);
    }

    [Fact]
    public async Task A_malformed_body_is_400_problem_details()
    {
        await using var app = new ConfabFactory();
        var client = await app.ClientForNewUserAsync("alice");

        var response = await client.PostAsync("/api/rooms/general/messages", new StringContent("{\"content\": 12", System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Confab.Tests.Infrastructure;

namespace Confab.Tests.Storage;

/// <summary>The whole server with <c>Storage:Provider=Postgres</c>, on a new database of the run's PostgreSQL.</summary>
[Trait("Storage", "Postgres")]
public sealed class PostgresServerTests : IAsyncLifetime
{
    private string database = null!;

    public async Task InitializeAsync() => database = await LocalPostgres.CreateDatabaseAsync().Within(30);

    public Task DisposeAsync() => LocalPostgres.DropDatabaseAsync(database);

    [Fact]
    public Task Accounts_rooms_messages_and_readiness_work_on_PostgreSQL() => SharedDatabase.AccountsRoomsAndMessagesAsync(new()
    {
        ["Storage:Provider"] = "Postgres",
        ["ConnectionStrings:Postgres"] = database,
    });

    [Fact]
    public async Task Three_processes_that_start_together_migrate_once_and_commit_to_one_room_at_once_without_a_gap_or_a_repeat()
    {
        using var folder = TempFolder.Create();
        var secret = ServerProcess.NewSecret();
        var environment = new Dictionary<string, string>
        {
            ["Storage__Provider"] = "Postgres",
            ["ConnectionStrings__Postgres"] = database,
            ["Confab__Messages__RateLimitCount"] = "1000",
            ["Confab__RateLimits__RegistrationsPerIp"] = "1000",
        };

        // Started together on an empty database: each migrates, one at a time, and finds the others' work done.
        var nodes = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ =>
            ServerProcess.StartAsync(Path.Combine(folder.Path, "unused.db"), secret, environment))).Within(90);
        try
        {
            Assert.False(File.Exists(Path.Combine(folder.Path, "unused.db")), "the nodes run on PostgreSQL, not a SQLite file");
            const int SendersPerNode = 4;
            const int MessagesPerSender = 25;
            var senders = new List<(HttpClient Client, string Name)>();
            for (var n = 0; n < nodes.Length; n++)
            {
                for (var s = 0; s < SendersPerNode; s++)
                {
                    var client = nodes[n].CreateClient();
                    var name = $"n{n}s{s}";
                    await client.PostJsonAsync("/api/users", new { username = name, email = $"{name}@example.com", password = "correct horse" }, HttpStatusCode.Created).Within();
                    client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
                        "Bearer", await ConfabFactory.TokenAsync(client, name, "correct horse").Within());
                    senders.Add((client, name));
                }
            }

            // Every sender posts at once, each on its own node: the nodes' group commits race for the room's seqs.
            await Task.WhenAll(senders.Select(sender => Task.Run(async () =>
            {
                for (var i = 0; i < MessagesPerSender; i++)
                {
                    await sender.Client.PostJsonAsync(
                        "/api/rooms/general/messages", new { content = $"{sender.Name} {i}", client_id = $"{sender.Name}-{i}" }, HttpStatusCode.Created);
                }
            }))).Within(120);

            var events = new List<JsonElement>();
            for (long after = 0; ;)
            {
                var page = await senders[0].Client.GetJsonAsync($"/api/rooms/general/events?after_seq={after}&limit=500").Within();
                events.AddRange(page.GetProperty("events").EnumerateArray());
                if (!page.GetProperty("has_more").GetBoolean())
                {
                    break;
                }

                after = events[^1].GetProperty("payload").GetProperty("seq").GetInt64();
            }

            var seqs = events.Select(e => e.GetProperty("payload").GetProperty("seq").GetInt64()).ToList();
            Assert.Equal(Enumerable.Range(1, seqs.Count).Select(i => (long)i), seqs);
            var posted = events.Where(e => e.GetProperty("event").GetString() == "new_message")
                .Select(e => e.GetProperty("payload").GetProperty("content").GetString())
                .ToList();
            Assert.Equal(nodes.Length * SendersPerNode * MessagesPerSender, posted.Count);
            Assert.Equal(posted.Count, posted.Distinct().Count());
            // Each sender's messages are in the order it sent them.
            foreach (var (_, name) in senders)
            {
                Assert.Equal(
                    Enumerable.Range(0, MessagesPerSender).Select(i => $"{name} {i}"),
                    posted.Where(content => content!.StartsWith(name + " ", StringComparison.Ordinal)));
            }

            Assert.Equal(senders.Count, events.Count(e => e.GetProperty("event").GetString() == "member_added"));
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }
}

using System.Net;
using System.Text.Json;
using Confab.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Confab.Tests.Faults;

/// <summary>
/// The database's disk fills up, or another writer holds its write lock: sends fail with a clear error (nothing
/// acknowledged that was not committed), and when the fault is cleared the server carries on by itself. (A read-only
/// remount is refused by the kernel while SQLite holds the file open for writing, and root writes through file modes,
/// so these are the faults the tests inject.)
/// </summary>
public sealed class DatabaseFaultTests(ITestOutputHelper output)
{
    private static readonly string Padding = new('x', 1900);

    [Fact]
    public async Task A_full_disk_refuses_sends_clearly_and_the_server_recovers_when_space_returns()
    {
        await using var disk = await TmpfsMount.CreateAsync(megabytes: 4);
        await RunFaultAsync(Path.Combine(disk.Path, "confab.db"), "disk full", inject: async () => output.WriteLine($"filler: {await disk.FillAsync()} bytes"), clear: () =>
        {
            disk.Free();
            return Task.CompletedTask;
        });
    }

    [Fact]
    public async Task A_write_lock_held_by_another_writer_refuses_sends_clearly_and_the_server_recovers_when_it_is_released()
    {
        using var folder = TempFolder.Create();
        var database = Path.Combine(folder.Path, "confab.db");
        // Another writer (its own connection, as a sqlite3 shell would be) takes the write lock and keeps it.
        await using var other = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={database};Pooling=False");
        Microsoft.Data.Sqlite.SqliteTransaction? held = null;
        await RunFaultAsync(database, "write lock held", inject: async () =>
        {
            await other.OpenAsync();
            held = other.BeginTransaction(System.Data.IsolationLevel.Serializable, deferred: false);
        }, clear: async () => await held!.RollbackAsync());
    }

    private async Task RunFaultAsync(string database, string fault, Func<Task> inject, Func<Task> clear)
    {
        await using (var app = new ConfabFactory(new()
        {
            ["Storage:DatabasePath"] = database,
            ["Storage:BusyTimeout"] = "00:00:01",
            ["Confab:Messages:RateLimitCount"] = "100000",
        }))
        {
            var address = app.StartKestrel();
            var api = await app.ClientForNewUserAsync("alice");
            await using var socket = await SocketClient.ConnectAsync(address, ConfabFactory.TokenOf(api));
            await socket.JoinAsync("room:general");
            var acked = new Dictionary<string, long>();
            Assert.True(await SendAsync(socket, "before", acked));

            await inject();
            // Writes may still land in space SQLite already holds; keep sending until the fault shows.
            var refused = new List<string>();
            for (var i = 0; i < 300 && refused.Count < 3; i++)
            {
                var clientId = $"during-{i}";
                if (!await SendAsync(socket, clientId, acked))
                {
                    refused.Add(clientId);
                }
            }

            output.WriteLine($"{fault}: {acked.Count} acknowledged, {refused.Count} refused");
            Assert.True(refused.Count >= 3, $"{fault}: no send was refused");
            var rest = await api.PostAsync("/api/rooms/general/messages", JsonContent("over REST", "rest-during"));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, rest.StatusCode);
            Assert.Equal("application/problem+json", rest.Content.Headers.ContentType?.MediaType);
            Assert.NotNull(rest.Headers.RetryAfter);

            await clear();
            // The same socket and the same pool carry on: retries of the refused client_ids are stored once each.
            foreach (var clientId in refused.Append("after"))
            {
                Assert.True(await SendAsync(socket, clientId, acked), $"{fault}: {clientId} still refused after the fault was cleared");
            }

            Assert.Equal(HttpStatusCode.Created, (await api.PostAsync("/api/rooms/general/messages", JsonContent("over REST", "rest-after"))).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await app.CreateClient().GetAsync("/readyz")).StatusCode);

            var stored = new Dictionary<string, long>();
            long after = 0;
            JsonElement page;
            do
            {
                page = await api.GetJsonAsync($"/api/rooms/general/messages?after_seq={after}&limit=100");
                foreach (var message in page.GetProperty("messages").EnumerateArray())
                {
                    stored.Add(message.GetProperty("client_id").GetString()!, message.GetProperty("seq").GetInt64());
                    after = message.GetProperty("seq").GetInt64();
                }
            }
            while (page.GetProperty("has_more").GetBoolean());

            // Exactly what was acknowledged (plus the REST post after recovery), each once, with the seq it was acknowledged with.
            Assert.Equal(acked.Keys.Append("rest-after").Order(), stored.Keys.Order());
            Assert.All(acked, ack => Assert.Equal(ack.Value, stored[ack.Key]));
            // Seq 1 is alice's join (member_added); the messages follow it with no gap.
            Assert.Equal(Enumerable.Range(2, stored.Count).Select(i => (long)i), stored.Values.Order());
        }
    }

    /// <summary>Sends with a client_id; true (and recorded) when acknowledged, false on the storage error reply.</summary>
    private static async Task<bool> SendAsync(SocketClient socket, string clientId, Dictionary<string, long> acked)
    {
        var reply = await socket.RequestAsync("room:general", "new_message", JsonSerializer.Serialize(new { content = $"{clientId} {Padding}", client_id = clientId }));
        if (reply.GetProperty("status").GetString() == "ok")
        {
            acked[clientId] = reply.GetProperty("response").GetProperty("seq").GetInt64();
            return true;
        }

        Assert.Equal("the message could not be saved; please retry", reply.GetProperty("response").GetProperty("reason").GetString());
        return false;
    }

    private static StringContent JsonContent(string content, string clientId) =>
        new(JsonSerializer.Serialize(new { content, client_id = clientId }), System.Text.Encoding.UTF8, "application/json");
}

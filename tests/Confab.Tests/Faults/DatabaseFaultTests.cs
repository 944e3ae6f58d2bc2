using System.Net;
using System.Text.Json;
using Confab.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Confab.Tests.Faults;

/// <summary>
/// The database's disk fills up: sends fail with a clear error (nothing acknowledged that was not committed), and when
/// space returns the server carries on by itself. (A read-only remount is refused by the kernel while SQLite holds the
/// file open for writing, and root writes through file modes, so a full disk is the fault the tests inject.)
/// </summary>
public sealed class DatabaseFaultTests(ITestOutputHelper output)
{
    private static readonly string Padding = new('x', 1900);

    [Fact]
    public async Task A_full_disk_refuses_sends_clearly_and_the_server_recovers_when_space_returns()
    {
        await using var disk = await TmpfsMount.CreateAsync(megabytes: 4);
        await RunFaultAsync(disk, "disk full", inject: async () => output.WriteLine($"filler: {await disk.FillAsync()} bytes"), clear: () =>
        {
            disk.Free();
            return Task.CompletedTask;
        });
    }

    private async Task RunFaultAsync(TmpfsMount disk, string fault, Func<Task> inject, Func<Task> clear)
    {
        await using (var app = new ConfabFactory(new()
        {
            ["Storage:DatabasePath"] = Path.Combine(disk.Path, "confab.db"),
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
            Assert.Equal(Enumerable.Range(1, stored.Count).Select(i => (long)i), stored.Values.Order());
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

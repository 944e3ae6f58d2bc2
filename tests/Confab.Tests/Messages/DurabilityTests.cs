using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Confab.Tests.Infrastructure;

namespace Confab.Tests.Messages;

public sealed class DurabilityTests
{
    [Fact]
    public async Task Every_acknowledged_message_survives_a_SIGKILL_mid_burst_exactly_once()
    {
        using var folder = TempFolder.Create();
        var database = Path.Combine(folder.Path, "confab.db");
        var secret = ServerProcess.NewSecret();
        var unlimited = new Dictionary<string, string> { ["Confab__Messages__RateLimitCount"] = "1000000" };

        var acked = new ConcurrentDictionary<string, (long Id, long Seq)>();
        await using (var server = await ServerProcess.StartAsync(database, secret, unlimited))
        {
            var tokens = new List<string>();
            for (var u = 0; u < 5; u++)
            {
                using var client = server.CreateClient();
                (await client.PostAsJsonAsync("/api/users", new { username = $"user{u}", email = $"user{u}@example.com", password = "password123" })).EnsureSuccessStatusCode();
                tokens.Add(await ConfabFactory.TokenAsync(client, $"user{u}", "password123"));
                // Joined before the burst (seqs 1 to 5), so that the messages' seqs follow one another.
                client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens[^1]);
                (await client.PostAsJsonAsync("/api/rooms/general/members", new { username = $"user{u}" })).EnsureSuccessStatusCode();
            }

            using var stop = new CancellationTokenSource();
            var senders = Enumerable.Range(0, 20).Select(sender => Task.Run(async () =>
            {
                using var client = server.CreateClient();
                client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", tokens[sender % tokens.Count]);
                for (var n = 0; !stop.IsCancellationRequested; n++)
                {
                    var clientId = $"s{sender}-n{n}";
                    try
                    {
                        var response = await client.PostAsJsonAsync("/api/rooms/general/messages", new { content = clientId, client_id = clientId });
                        if (response.StatusCode == HttpStatusCode.Created)
                        {
                            var json = await response.ReadJsonAsync();
                            acked[clientId] = (json.GetProperty("id").GetInt64(), json.GetProperty("seq").GetInt64());
                        }
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                    {
                        return; // the server died under us: this send was never acknowledged
                    }
                }
            })).ToList();

            while (acked.Count < 300)
            {
                await Task.Delay(5);
            }

            server.Kill();
            await stop.CancelAsync();
            await Task.WhenAll(senders).WaitAsync(TimeSpan.FromSeconds(30));
        }

        Assert.True(acked.Count >= 300);
        await using (var server = await ServerProcess.StartAsync(database, secret))
        {
            using var client = server.CreateClient();
            (await client.PostAsJsonAsync("/api/users", new { username = "reader", email = "reader@example.com", password = "password123" })).EnsureSuccessStatusCode();
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await ConfabFactory.TokenAsync(client, "reader", "password123"));

            var stored = new List<(long Id, long Seq, string ClientId)>();
            long after = 0;
            while (true)
            {
                var page = await client.GetJsonAsync($"/api/rooms/general/messages?after_seq={after}&limit=100");
                foreach (var message in page.GetProperty("messages").EnumerateArray())
                {
                    stored.Add((message.GetProperty("id").GetInt64(), message.GetProperty("seq").GetInt64(), message.GetProperty("client_id").GetString()!));
                    after = message.GetProperty("seq").GetInt64();
                }

                if (!page.GetProperty("has_more").GetBoolean())
                {
                    break;
                }
            }

            // No message twice, no gap in seq, and every acknowledged one is there, unchanged.
            Assert.Equal(stored.Count, stored.Select(m => m.ClientId).Distinct().Count());
            Assert.Equal(Enumerable.Range(6, stored.Count).Select(i => (long)i), stored.Select(m => m.Seq));
            var byClientId = stored.ToDictionary(m => m.ClientId);
            foreach (var (clientId, ack) in acked)
            {
                Assert.True(byClientId.TryGetValue(clientId, out var found), $"acknowledged message {clientId} was lost");
                Assert.Equal(ack, (found.Id, found.Seq));
            }
        }
    }
}

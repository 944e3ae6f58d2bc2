using System.Net;
using System.Net.Http.Json;
using Confab.Tests.Infrastructure;
using Microsoft.Extensions.Logging;

namespace Confab.Tests.Security;

/// <summary>The signing key, tokens, passwords and message content never reach a log or a response they do not belong in; key rotation works as the README says.</summary>
public sealed class SecretsTests
{
    [Fact]
    public async Task No_log_entry_at_any_level_carries_the_key_a_token_a_password_or_message_content()
    {
        const string Key = "k3y-0f-the-k1ngdom-that-must-never-be-l0gged-anywhere";
        const string Password = "pa55word-that-must-not-leak";
        const string Content = "message content that must not be logged";
        await using var app = new ConfabFactory(new() { ["Confab:Auth:SigningKey"] = Key });
        var logs = LogCapture.AddTo(app, LogLevel.Trace);
        var address = app.StartKestrel();
        var client = app.CreateClient();
        await client.PostJsonAsync("/api/users", new { username = "alice", email = "alice@example.com", password = Password }, HttpStatusCode.Created);
        var issued = await client.PostJsonAsync("/api/auth/token", new { username = "alice", password = Password }, HttpStatusCode.OK);
        var token = issued.GetProperty("token").GetString()!;
        await client.PostJsonAsync("/api/auth/token", new { username = "alice", password = Password + "-wrong" }, HttpStatusCode.Unauthorized);
        await using (var socket = await SocketClient.ConnectAsync(address, token))
        {
            await socket.JoinAsync("room:general");
            await socket.RequestAsync("room:general", "new_message", $$"""{"content":"{{Content}} (socket)"}""");
        }

        client.DefaultRequestHeaders.Authorization = new("Bearer", token);
        await client.PostJsonAsync("/api/rooms/general/messages", new { content = Content }, HttpStatusCode.Created);
        client.DefaultRequestHeaders.Authorization = new("Bearer", token + "tampered");
        Assert.True(HttpStatusCode.Unauthorized == (await client.GetAsync("/api/rooms")).StatusCode, string.Join("\n", logs.Errors));
        await Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(() => SocketClient.ConnectAsync(address, token + "tampered"));

        Assert.True(logs.Entries.Count > 20, "the capture saw too little to mean anything");
        foreach (var secret in new[] { Key, token, Password, Content })
        {
            Assert.DoesNotContain(logs.Entries, entry => entry.ToString().Contains(secret, StringComparison.Ordinal));
        }

        foreach (var path in new[] { "/login", "/api/rooms", "/data/dev_secret_key_base", "/appsettings.json" })
        {
            Assert.DoesNotContain(Key, await (await app.CreateClient().GetAsync(path)).Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Rotating_SECRET_KEY_BASE_retires_old_tokens_and_cookie_sessions()
    {
        using var folder = TempFolder.Create();
        var database = Path.Combine(folder.Path, "confab.db");
        string oldToken;
        string cookie;
        await using (var server = await ServerProcess.StartAsync(database, ServerProcess.NewSecret()))
        {
            using var client = server.CreateClient();
            (await client.PostAsJsonAsync("/api/users", new { username = "alice", email = "alice@example.com", password = "s3cret-pass" })).EnsureSuccessStatusCode();
            oldToken = await ConfabFactory.TokenAsync(client, "alice", "s3cret-pass");
            var login = await client.PostAsJsonAsync("/api/auth/login", new { username = "alice", password = "s3cret-pass" });
            cookie = login.Headers.GetValues("Set-Cookie").Single().Split(';')[0];
        }

        await using (var server = await ServerProcess.StartAsync(database, ServerProcess.NewSecret()))
        {
            using var client = server.CreateClient();
            var withOldToken = new HttpRequestMessage(HttpMethod.Get, "/api/auth/me");
            withOldToken.Headers.Authorization = new("Bearer", oldToken);
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(withOldToken)).StatusCode);
            await Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(() => SocketClient.ConnectAsync(server.Address, oldToken));

            // The cookie keys were encrypted under the old secret: the session ends with it.
            var withCookie = new HttpRequestMessage(HttpMethod.Get, "/api/auth/me");
            withCookie.Headers.Add("Cookie", cookie);
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(withCookie)).StatusCode);
            var fresh = await ConfabFactory.TokenAsync(client, "alice", "s3cret-pass");
            await using var socket = await SocketClient.ConnectAsync(server.Address, fresh);
            Assert.Equal("ok", (await socket.JoinAsync("room:general")).GetProperty("status").GetString());
        }
    }
}

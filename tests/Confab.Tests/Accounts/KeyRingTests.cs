using System.Net;
using System.Net.Http.Json;
using Confab.Storage;
using Confab.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Confab.Tests.Accounts;

public sealed class KeyRingTests
{
    [Fact]
    public async Task Cookie_keys_are_stored_encrypted_survive_a_restart_and_die_with_a_rotated_secret()
    {
        await using var first = new ConfabFactory();
        var client = first.CreateClient(new() { HandleCookies = false });
        await client.PostJsonAsync("/api/users", new { username = "alice", email = "alice@example.com", password = "s3cret-pass" }, HttpStatusCode.Created);
        var login = await client.PostAsJsonAsync("/api/auth/login", new { username = "alice", password = "s3cret-pass" });
        var cookie = login.Headers.GetValues("Set-Cookie").Single().Split(';')[0];

        var stored = await first.Services.GetRequiredService<ChatStore>().GetDataProtectionKeysAsync();
        var key = Assert.Single(stored);
        Assert.Contains("<encryptedKey", key, StringComparison.Ordinal);
        Assert.DoesNotContain("<masterKey", key, StringComparison.Ordinal);

        // Same database and secret: the session holds.
        var settings = first.Settings.ToDictionary();
        await using (var restarted = new ConfabFactory(settings))
        {
            Assert.Equal(HttpStatusCode.OK, (await Me(restarted, cookie)).StatusCode);
        }

        // Same database, another secret: the old keys cannot be read, so the session is over.
        settings["Confab:Auth:SigningKey"] = ServerProcess.NewSecret();
        await using var rotated = new ConfabFactory(settings);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Me(rotated, cookie)).StatusCode);
    }

    private static Task<HttpResponseMessage> Me(ConfabFactory app, string cookie)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/auth/me");
        request.Headers.Add("Cookie", cookie);
        return app.CreateClient(new() { HandleCookies = false }).SendAsync(request);
    }
}

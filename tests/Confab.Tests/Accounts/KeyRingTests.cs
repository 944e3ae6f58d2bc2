using System.Net;
using System.Net.Http.Json;
using Confab.Storage;
using Confab.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Confab.Tests.Accounts;

public sealed class KeyRingTests
{
    [Fact]
    public async Task Cookie_keys_are_stored_encrypted_and_sessions_survive_a_restart()
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

        // Same database and secret: the session holds. (A new secret ends it: Security/SecretsTests.)
        await using var restarted = new ConfabFactory(first.Settings.ToDictionary());
        Assert.Equal(HttpStatusCode.OK, (await Me(restarted, cookie)).StatusCode);
    }

    private static Task<HttpResponseMessage> Me(ConfabFactory app, string cookie)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/auth/me");
        request.Headers.Add("Cookie", cookie);
        return app.CreateClient(new() { HandleCookies = false }).SendAsync(request);
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Confab.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Confab.Tests.Accounts;

public sealed class AccountsApiTests
{
    [Fact]
    public async Task Register_then_get_a_token_that_authenticates()
    {
        await using var app = new ConfabFactory();
        var client = app.CreateClient();

        var user = await client.PostJsonAsync("/api/users", new { username = "alice", email = "alice@example.com", password = "s3cret-pass" }, HttpStatusCode.Created);
        Assert.Equal("alice", user.GetProperty("username").GetString());
        Assert.False(user.TryGetProperty("password_hash", out _));

        var token = await client.PostJsonAsync("/api/auth/token", new { username = "alice", password = "s3cret-pass" }, HttpStatusCode.OK);
        Assert.True(token.GetProperty("expires_at").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddHours(23));

        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.GetProperty("token").GetString());
        var me = await client.GetJsonAsync("/api/auth/me");
        Assert.Equal(user.GetProperty("id").GetInt64(), me.GetProperty("id").GetInt64());
    }

    [Fact]
    public async Task Logging_in_by_email_works_too()
    {
        await using var app = new ConfabFactory();
        var client = app.CreateClient();
        await client.PostJsonAsync("/api/users", new { username = "alice", email = "Alice@Example.com", password = "s3cret-pass" }, HttpStatusCode.Created);

        await client.PostJsonAsync("/api/auth/token", new { username = "alice@example.com", password = "s3cret-pass" }, HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("alice", "other@example.com", "username")]
    [InlineData("ALICE", "other@example.com", "username")]
    [InlineData("bob", "alice@example.com", "email")]
    [InlineData("bob", "ALICE@EXAMPLE.COM", "email")]
    public async Task A_taken_username_or_email_in_any_case_is_409(string username, string email, string field)
    {
        await using var app = new ConfabFactory();
        var client = app.CreateClient();
        await client.PostJsonAsync("/api/users", new { username = "alice", email = "alice@example.com", password = "s3cret-pass" }, HttpStatusCode.Created);

        var problem = await client.PostJsonAsync("/api/users", new { username, email, password = "s3cret-pass" }, HttpStatusCode.Conflict);

        Assert.Contains("already been taken", Assert.Single(problem.FieldErrors(field)), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("al", "a@example.com", "long-enough", "username")]
    [InlineData("has space", "a@example.com", "long-enough", "username")]
    [InlineData("<script>", "a@example.com", "long-enough", "username")]
    [InlineData("abcdefghijklmnopqrstuvwxyz0123456", "a@example.com", "long-enough", "username")]
    [InlineData("alice", "not-an-email", "long-enough", "email")]
    [InlineData("alice", "a@b", "long-enough", "email")]
    [InlineData("alice", "a@example.com", "short", "password")]
    public async Task Bad_username_email_or_password_is_422_with_a_field_error(string username, string email, string password, string field)
    {
        await using var app = new ConfabFactory();
        var client = app.CreateClient();

        var problem = await client.PostJsonAsync("/api/users", new { username, email, password }, HttpStatusCode.UnprocessableEntity);

        Assert.Equal(422, problem.GetProperty("status").GetInt32());
        Assert.Single(problem.FieldErrors(field));
        Assert.Single(problem.GetProperty("errors").EnumerateObject());
    }

    [Theory]
    [InlineData("alice", "wrong-password")]
    [InlineData("nobody", "s3cret-pass")]
    public async Task Wrong_credentials_are_401_without_saying_which_part_was_wrong(string username, string password)
    {
        await using var app = new ConfabFactory();
        var client = app.CreateClient();
        await client.PostJsonAsync("/api/users", new { username = "alice", email = "alice@example.com", password = "s3cret-pass" }, HttpStatusCode.Created);

        var problem = await client.PostJsonAsync("/api/auth/token", new { username, password }, HttpStatusCode.Unauthorized);

        Assert.Equal("Invalid username or password.", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Tampered_foreign_and_missing_tokens_are_401()
    {
        await using var app = new ConfabFactory();
        await using var other = new ConfabFactory();
        var client = await app.ClientForNewUserAsync("alice");
        var token = client.DefaultRequestHeaders.Authorization!.Parameter!;
        await other.ClientForNewUserAsync("alice");
        var foreign = await ConfabFactory.TokenAsync(other.CreateClient(), "alice", "correct horse");

        // Same user id and name, but signed with another app's secret.
        Assert.Equal(401, (int)(await Send(app, foreign)).StatusCode);
        // The payload changed (alice's id -> bob's) without re-signing.
        await app.ClientForNewUserAsync("bob");
        var parts = token.Split('.');
        var payload = System.Text.Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(parts[1]));
        Assert.Contains("\"sub\":1,", payload, StringComparison.Ordinal);
        var forged = System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.UTF8.GetBytes(payload.Replace("\"sub\":1,", "\"sub\":2,", StringComparison.Ordinal)));
        var tampered = parts[0] + "." + forged + "." + parts[2];
        Assert.Equal(401, (int)(await Send(app, tampered)).StatusCode);
        Assert.Equal(401, (int)(await Send(app, token + "x")).StatusCode);
        Assert.Equal(401, (int)(await Send(app, "garbage")).StatusCode);
        Assert.Equal(401, (int)(await app.CreateClient().GetAsync("/api/rooms")).StatusCode);
        Assert.Equal(200, (int)(await Send(app, token)).StatusCode);
    }

    [Fact]
    public async Task An_expired_token_is_401()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var app = new ConfabFactory(time: clock);
        var client = await app.ClientForNewUserAsync("alice");
        var token = client.DefaultRequestHeaders.Authorization!.Parameter!;
        Assert.Equal(200, (int)(await Send(app, token)).StatusCode);

        clock.Advance(TimeSpan.FromHours(23));
        Assert.Equal(200, (int)(await Send(app, token)).StatusCode);
        clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromSeconds(1));
        Assert.Equal(401, (int)(await Send(app, token)).StatusCode);
    }

    [Fact]
    public async Task Cookie_log_in_and_log_out()
    {
        await using var app = new ConfabFactory();
        var client = app.CreateClient(new() { BaseAddress = app.ClientOptions.BaseAddress, HandleCookies = true });
        await client.PostJsonAsync("/api/users", new { username = "alice", email = "alice@example.com", password = "s3cret-pass" }, HttpStatusCode.Created);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/auth/me")).StatusCode);

        var login = await client.PostAsJsonAsync("/api/auth/login", new { username = "alice", password = "s3cret-pass" });
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var cookie = Assert.Single(login.Headers.GetValues("Set-Cookie"));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("alice", (await client.GetJsonAsync("/api/auth/me")).GetProperty("username").GetString());
        // The cookie is for the UI: the REST API wants a bearer token, which the session can have (the room page in the
        // browser renews its socket's so).
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/rooms")).StatusCode);
        var issued = await client.GetJsonAsync("/api/auth/token");
        Assert.Equal("alice", issued.GetProperty("user").GetProperty("username").GetString());
        Assert.Equal(HttpStatusCode.OK, (await Send(app, issued.GetProperty("token").GetString()!)).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync("/api/auth/logout", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/auth/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/auth/token")).StatusCode);
    }

    private static Task<HttpResponseMessage> Send(ConfabFactory app, string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/rooms");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return app.CreateClient().SendAsync(request);
    }
}

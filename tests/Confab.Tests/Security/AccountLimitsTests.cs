using System.Net;
using System.Net.Http.Json;
using Confab.Tests.Infrastructure;

namespace Confab.Tests.Security;

/// <summary>Password guessing and account farming: log-in, token issue and registration are limited per IP and per username.</summary>
public sealed class AccountLimitsTests
{
    private const string IpHeader = "X-Test-Client-IP";

    [Theory]
    [InlineData("/api/auth/token")]
    [InlineData("/api/auth/login")]
    public async Task Log_ins_from_one_IP_beyond_the_limit_are_429_with_Retry_After_and_problem_details(string path)
    {
        await using var app = new ConfabFactory(new() { ["Confab:RateLimits:LogInsPerIp"] = "3" });
        var client = app.CreateClient();

        for (var i = 0; i < 3; i++)
        {
            await client.PostJsonAsync(path, new { username = $"user{i}", password = "wrong-password" }, HttpStatusCode.Unauthorized);
        }

        var response = await client.PostAsJsonAsync(path, new { username = "user9", password = "wrong-password" });
        var problem = await response.ReadJsonAsync();
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(429, problem.GetProperty("status").GetInt32());
        var retryAfter = int.Parse(Assert.Single(response.Headers.GetValues("Retry-After")), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 60);
        // The pages and other endpoints are not limited.
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/login")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task Attempts_on_one_username_from_many_IPs_are_limited_and_other_usernames_are_not()
    {
        await using var app = new ConfabFactory(new()
        {
            ["Confab:RateLimits:AttemptsPerUsername"] = "3",
            ["Confab:RateLimits:ClientIpHeader"] = IpHeader,
        });
        var client = app.CreateClient();
        await client.PostJsonAsync("/api/users", new { username = "alice", email = "alice@example.com", password = "s3cret-pass" }, HttpStatusCode.Created);

        for (var i = 0; i < 2; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await TokenFromAsync(client, $"10.0.0.{i}", "ALICE", "guess")).StatusCode);
        }

        var refused = await TokenFromAsync(client, "10.0.0.9", " alice ", "s3cret-pass");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.True(refused.Headers.RetryAfter is not null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await TokenFromAsync(client, "10.0.0.9", "bob", "guess")).StatusCode);
    }

    [Fact]
    public async Task Registrations_from_one_IP_beyond_the_limit_are_429()
    {
        await using var app = new ConfabFactory(new() { ["Confab:RateLimits:RegistrationsPerIp"] = "2" });
        var client = app.CreateClient();

        await client.PostJsonAsync("/api/users", new { username = "one", email = "one@example.com", password = "s3cret-pass" }, HttpStatusCode.Created);
        await client.PostJsonAsync("/api/users", new { username = "x", email = "bad", password = "short" }, HttpStatusCode.UnprocessableEntity);
        var problem = await client.PostJsonAsync("/api/users", new { username = "three", email = "three@example.com", password = "s3cret-pass" }, HttpStatusCode.TooManyRequests);

        Assert.Equal(429, problem.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task The_log_in_form_is_limited_per_IP_and_per_username()
    {
        await using var app = new ConfabFactory(new()
        {
            ["Confab:RateLimits:LogInsPerIp"] = "4",
            ["Confab:RateLimits:AttemptsPerUsername"] = "2",
        });
        var browser = app.CreateBrowserClient();

        for (var i = 0; i < 2; i++)
        {
            var wrong = await WebForms.SubmitAsync(browser, "/login", LogIn("alice", "guess"));
            Assert.Contains("Invalid username or password.", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        var perUsername = await WebForms.SubmitAsync(browser, "/login", LogIn("alice", "guess"));
        Assert.Equal(HttpStatusCode.TooManyRequests, perUsername.StatusCode);
        Assert.NotNull(perUsername.Headers.RetryAfter);
        Assert.Contains("Too many attempts", await perUsername.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        Assert.Equal(HttpStatusCode.OK, (await WebForms.SubmitAsync(browser, "/login", LogIn("bob", "guess"))).StatusCode);
        var perIp = await WebForms.SubmitAsync(browser, "/login", LogIn("carol", "guess"));
        Assert.Equal(HttpStatusCode.TooManyRequests, perIp.StatusCode);
        Assert.NotNull(perIp.Headers.RetryAfter);
    }

    [Fact]
    public async Task The_sign_up_form_is_limited_per_IP()
    {
        await using var app = new ConfabFactory(new() { ["Confab:RateLimits:RegistrationsPerIp"] = "1" });
        var browser = app.CreateBrowserClient();

        var first = await WebForms.SubmitAsync(browser, "/register", SignUp("alice"));
        var second = await WebForms.SubmitAsync(app.CreateBrowserClient(), "/register", SignUp("bob"));

        Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.NotNull(second.Headers.RetryAfter);
    }

    private static Dictionary<string, string> SignUp(string username) =>
        new() { ["Input.Username"] = username, ["Input.Email"] = $"{username}@example.com", ["Input.Password"] = "s3cret-pass" };

    private static Dictionary<string, string> LogIn(string username, string password) =>
        new() { ["Input.Username"] = username, ["Input.Password"] = password };

    private static Task<HttpResponseMessage> TokenFromAsync(HttpClient client, string ip, string username, string password)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth/token") { Content = JsonContent.Create(new { username, password }) };
        request.Headers.Add(IpHeader, ip);
        return client.SendAsync(request);
    }
}

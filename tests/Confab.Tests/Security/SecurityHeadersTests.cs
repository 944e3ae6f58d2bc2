using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Confab.Tests.Infrastructure;

namespace Confab.Tests.Security;

/// <summary>What browsers are told: a strict CSP on pages, nosniff and a referrer policy everywhere, HSTS and Secure cookies outside Development.</summary>
public sealed partial class SecurityHeadersTests
{
    [Theory]
    [InlineData("/login")]
    [InlineData("/register")]
    public async Task Pages_carry_a_CSP_whose_nonce_matches_the_only_inline_script(string path)
    {
        await using var app = new ConfabFactory();
        var client = app.CreateClient();

        var response = await client.GetAsync(path);
        var html = await response.Content.ReadAsStringAsync();

        var csp = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        var directives = csp.Split(';', StringSplitOptions.TrimEntries).ToDictionary(d => d.Split(' ')[0], d => d);
        Assert.Equal("frame-ancestors 'none'", directives["frame-ancestors"]);
        Assert.Equal("object-src 'none'", directives["object-src"]);
        Assert.Equal("style-src 'self'", directives["style-src"]);
        var nonce = Assert.Single(NoncePattern().Matches(directives["script-src"])).Groups[1].Value;
        Assert.Equal($"script-src 'self' 'nonce-{nonce}'", directives["script-src"]);
        Assert.DoesNotContain("unsafe", csp, StringComparison.Ordinal);
        // Every inline script (the import map) carries the nonce; every other script has a src on this origin.
        var scripts = ScriptPattern().Matches(html).Select(m => m.Value).ToList();
        Assert.NotEmpty(scripts);
        Assert.All(scripts, tag => Assert.True(tag.Contains($"nonce=\"{nonce}\"", StringComparison.Ordinal) || SrcPattern().IsMatch(tag), tag));
        Assert.DoesNotContain(" style=", html, StringComparison.Ordinal);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.Equal("same-origin", Assert.Single(response.Headers.GetValues("Referrer-Policy")));

        var again = await client.GetAsync(path);
        Assert.NotEqual(csp, Assert.Single(again.Headers.GetValues("Content-Security-Policy")));
    }

    [Fact]
    public async Task The_API_gets_nosniff_and_no_CSP()
    {
        await using var app = new ConfabFactory();

        var response = await app.CreateClient().GetAsync("/api/rooms");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        Assert.False(response.Headers.Contains("Content-Security-Policy"));
    }

    [Theory]
    [InlineData("Production", true)]
    [InlineData("Development", false)]
    public async Task HSTS_and_Secure_session_cookies_outside_Development(string environment, bool strict)
    {
        await using var app = new ConfabFactory(environment: environment);
        await app.CreateClient().PostJsonAsync("/api/users", new { username = "alice", email = "alice@example.com", password = "s3cret-pass" }, HttpStatusCode.Created);

        var page = await app.CreateClient().GetAsync(new Uri("https://chat.example.com/login"));
        Assert.Equal(strict, page.Headers.Contains("Strict-Transport-Security"));
        Assert.Contains("secure", Assert.Single(page.Headers.GetValues("Set-Cookie")), StringComparison.OrdinalIgnoreCase);

        // Even over plain HTTP (TLS ends at a proxy), the session cookie is Secure outside Development.
        var login = await app.CreateClient().PostAsJsonAsync(new Uri("http://chat.example.com/api/auth/login"), new { username = "alice", password = "s3cret-pass" });
        var session = Assert.Single(login.Headers.GetValues("Set-Cookie"));
        Assert.StartsWith("confab_session=", session, StringComparison.Ordinal);
        Assert.Contains("httponly", session, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", session, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(strict, session.Contains("secure", StringComparison.OrdinalIgnoreCase));
    }

    [GeneratedRegex("'nonce-([A-Za-z0-9_-]+)'")]
    private static partial Regex NoncePattern();

    [GeneratedRegex("<script[^>]*>")]
    private static partial Regex ScriptPattern();

    [GeneratedRegex("src=\"(?!https?:|//)[^\"]+\"")]
    private static partial Regex SrcPattern();
}

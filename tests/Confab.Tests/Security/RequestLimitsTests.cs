using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Confab.Tests.Infrastructure;

namespace Confab.Tests.Security;

/// <summary>Oversized bodies are refused with 413 before they are read; bad query parameters are 400/422, never 500.</summary>
public sealed class RequestLimitsTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_body_over_64_KiB_is_413_with_problem_details(bool chunked)
    {
        await using var app = new ConfabFactory();
        var address = app.StartKestrel();
        var token = ConfabFactory.TokenOf(await app.ClientForNewUserAsync("alice"));
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        var body = Encoding.UTF8.GetBytes($"{{\"content\":\"{new string('x', 65 * 1024)}\"}}");
        using var content = chunked ? (HttpContent)new StreamContent(new MemoryStream(body)) : new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var response = await http.PostAsync("/api/rooms/general/messages", content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(413, (await response.ReadJsonAsync()).GetProperty("status").GetInt32());
        // Just under the cap is read (and refused on its merits: over 2,000 characters).
        using var small = new StringContent($"{{\"content\":\"{new string('x', 60 * 1024)}\"}}", Encoding.UTF8, "application/json");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await http.PostAsync("/api/rooms/general/messages", small)).StatusCode);
    }

    [Theory]
    [InlineData("limit=abc", 400)]
    [InlineData("limit=99999999999", 400)]
    [InlineData("limit=1.5", 400)]
    [InlineData("before_seq=9223372036854775808", 400)]
    [InlineData("after_seq=1%20OR%201%3D1", 400)]
    [InlineData("limit=0", 422)]
    [InlineData("limit=101", 422)]
    [InlineData("before_seq=-1", 422)]
    [InlineData("after_seq=-5&limit=-1", 422)]
    [InlineData("limit=100&before_seq=9223372036854775807&after_seq=9223372036854775806", 200)]
    [InlineData("limit=1&after_seq=0", 200)]
    public async Task Query_parameters_are_validated(string query, int expected)
    {
        await using var app = new ConfabFactory();
        var client = await app.ClientForNewUserAsync("alice");

        var response = await client.GetAsync($"/api/rooms/general/messages?{query}");

        Assert.Equal(expected, (int)response.StatusCode);
        if (expected >= 400)
        {
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal(expected, (await response.ReadJsonAsync()).GetProperty("status").GetInt32());
        }
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Confab.Tests.Infrastructure;
using CsCheck;

namespace Confab.Tests.Fuzz;

/// <summary>
/// The REST API's JSON bodies and query strings under random input (wrong types, huge numbers, deep nesting, invalid
/// UTF-8, lone surrogates, truncation, wrong content types): always 2xx or 4xx with problem details, never a 500.
/// </summary>
public sealed class ApiFuzzTests
{
    private static readonly string[] Fields = ["username", "email", "password", "name", "description", "content", "client_id"];

    // Log-in paths are rarer: each hashes a password (on purpose slow).
    private static readonly Gen<string> Path = Gen.Frequency(
        (1, Gen.OneOf<string>("/api/users", "/api/auth/token", "/api/auth/login")),
        (6, Gen.OneOf<string>("/api/rooms", "/api/rooms/general/messages", "/api/rooms/no-such-room/messages",
            "/api/rooms/%27%20OR%201%3D1%20--/messages", "/api/rooms/" + new string('x', 300) + "/messages")));

    /// <summary>JSON-ish bodies: objects of the API's fields with any values, and every way to be broken.</summary>
    private static readonly Gen<byte[]> Body = Gen.Frequency(
        (6, Gen.Select(Gen.OneOf(Gen.OneOf<string>(Fields), FrameGenerators.OddString).Array[0, 5], FrameGenerators.Value.Array[5],
            (keys, values) => Encoding.UTF8.GetBytes("{" + string.Join(",", keys.Select((k, i) => JsonSerializer.Serialize(k) + ":" + values[i])) + "}"))),
        (1, FrameGenerators.Value.Select(Encoding.UTF8.GetBytes)),
        (1, Gen.Int[1, 3000].Select(depth => Encoding.UTF8.GetBytes("{\"content\":" + new string('[', depth) + new string(']', depth) + "}"))),
        (1, Gen.Byte.Array[0, 100].Select(bytes => (byte[])[.. "{\"content\":\""u8, .. bytes, .. "\"}"u8])),
        (1, Gen.Byte.Array[0, 100]),
        (1, Gen.Select(FrameGenerators.Payload, Gen.Int[0, 100], (json, cut) => Encoding.UTF8.GetBytes(json[..Math.Min(json.Length, cut)]))));

    private static readonly Gen<string?> ContentType = Gen.Frequency(
        (8, Gen.Const<string?>("application/json")),
        (1, Gen.OneOf<string?>(null, "text/plain", "application/json; charset=latin1", "application/x-www-form-urlencoded", "multipart/form-data")));

    private static readonly Gen<string> Query = Gen.Select(
        Gen.OneOf<string>("limit", "before_seq", "after_seq", "limit", "x"),
        Gen.OneOf(FrameGenerators.Number, FrameGenerators.OddString.Select(Uri.EscapeDataString), Gen.OneOf<string>("", "1", "100", "101", "0", "-1", "1e3", "0x10", "NaN", "%00")),
        (key, value) => $"{key}={value}").Array[0, 4].Select(parts => "/api/rooms/general/messages?" + string.Join("&", parts));

    [Fact]
    public async Task Random_bodies_and_queries_get_4xx_problem_details_never_500()
    {
        await using var app = new ConfabFactory(new()
        {
            ["Confab:RateLimits:LogInsPerIp"] = "1000000",
            ["Confab:RateLimits:RegistrationsPerIp"] = "1000000",
            ["Confab:RateLimits:AttemptsPerUsername"] = "1000000",
            ["Confab:Messages:RateLimitCount"] = "1000000",
        });
        var token = ConfabFactory.TokenOf(await app.ClientForNewUserAsync("fuzzer"));
        var client = app.CreateClient();

        await Gen.Select(Path, Body, ContentType).SampleAsync(async (path, body, contentType) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
            if (contentType is not null)
            {
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            }

            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            await ExpectNo500Async(await client.SendAsync(request).WaitAsync(TimeSpan.FromSeconds(10)), $"POST {path} {contentType}: {Encoding.UTF8.GetString(body)}");
        }, iter: 1200, threads: 2);

        await Query.SampleAsync(async path =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            await ExpectNo500Async(await client.SendAsync(request).WaitAsync(TimeSpan.FromSeconds(10)), $"GET {path}");
        }, iter: 400, threads: 2);
    }

    private static async Task ExpectNo500Async(HttpResponseMessage response, string what)
    {
        var status = (int)response.StatusCode;
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status < 500, $"{status} for {what}: {text}");
        if (status >= 400)
        {
            Assert.True(response.Content.Headers.ContentType?.MediaType == "application/problem+json", $"{status} without problem details for {what}: {text}");
            using var problem = JsonDocument.Parse(text);
            Assert.Equal(status, problem.RootElement.GetProperty("status").GetInt32());
        }
    }
}

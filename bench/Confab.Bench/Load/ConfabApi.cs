using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Confab.Bench.Load;

/// <summary>Mints the users, tokens and rooms a load run needs, through the REST API.</summary>
public sealed class ConfabApi(Uri baseUrl) : IDisposable
{
    private readonly HttpClient http = new() { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Registers <c>{prefix}{i}</c> (or reuses it) and returns its bearer token.</summary>
    public async Task<string> TokenAsync(string username)
    {
        var password = "bench-password-" + username;
        var registered = await http.PostAsJsonAsync("/api/users", new { username, email = $"{username}@bench.example", password });
        if (registered.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.Conflict))
        {
            throw new InvalidOperationException($"register {username}: {(int)registered.StatusCode} {await registered.Content.ReadAsStringAsync()}");
        }

        var issued = await http.PostAsJsonAsync("/api/auth/token", new { username, password });
        issued.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await issued.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("token").GetString()!;
    }

    /// <summary>Creates the room if it does not exist; returns its slug.</summary>
    public async Task<string> EnsureRoomAsync(string token, string name)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/rooms") { Content = JsonContent.Create(new { name, description = "load test" }) };
        request.Headers.Authorization = new("Bearer", token);
        var response = await http.SendAsync(request);
        if (response.StatusCode is not (HttpStatusCode.Created or HttpStatusCode.Conflict))
        {
            throw new InvalidOperationException($"create room {name}: {(int)response.StatusCode}");
        }

        return Confab.Rooms.RoomDirectory.Slugify(name);
    }

    public void Dispose() => http.Dispose();
}

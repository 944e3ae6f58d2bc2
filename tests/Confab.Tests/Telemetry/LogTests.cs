using System.Net.Http.Json;
using System.Text.Json;
using Confab.Tests.Infrastructure;

namespace Confab.Tests.Telemetry;

public sealed class LogTests
{
    [Fact]
    public async Task No_password_token_or_message_content_reaches_the_logs_even_at_debug_level()
    {
        using var folder = TempFolder.Create();
        await using var server = await ServerProcess.StartAsync(Path.Combine(folder.Path, "confab.db"), ServerProcess.NewSecret(), new Dictionary<string, string>
        {
            ["Logging__LogLevel__Default"] = "Debug",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Debug",
        });
        const string Password = "hunter2-correct-horse-battery";
        const string Content = "the launch code is 0000-secret-content";
        using var http = server.CreateClient();

        (await http.PostAsJsonAsync("/api/users", new { username = "alice", email = "alice@example.com", password = Password })).EnsureSuccessStatusCode();
        (await http.PostAsJsonAsync("/api/auth/token", new { username = "alice", password = "wrong-password-attempt" })).Dispose();
        var token = await ConfabFactory.TokenAsync(http, "alice", Password);
        (await http.PostAsJsonAsync("/api/auth/login", new { username = "alice", password = Password })).EnsureSuccessStatusCode();
        await using (var socket = await PhoenixClient.ConnectAsync(server.Address, token))
        {
            Assert.Equal("ok", (await socket.RequestAsync("room:general", "phx_join", new { })).GetProperty("status").GetString());
            Assert.Equal("ok", (await socket.RequestAsync("room:general", "new_message", new { content = Content })).GetProperty("status").GetString());
        }

        using var rest = server.CreateClient();
        rest.DefaultRequestHeaders.Authorization = new("Bearer", token);
        (await rest.PostAsJsonAsync("/api/rooms/random/messages", new { content = Content })).EnsureSuccessStatusCode();
        await Task.Delay(300); // let the last lines flush

        var lines = server.OutputLines;
        Assert.True(lines.Count > 20, $"expected a debug-level log, got {lines.Count} lines");
        // Production writes JSON lines.
        Assert.All(lines.Where(l => l.StartsWith('{')), line => JsonDocument.Parse(line).Dispose());
        Assert.Contains(lines, l => l.Contains("\"LogLevel\":\"Debug\"", StringComparison.Ordinal));
        var tokenSignature = token[(token.LastIndexOf('.') + 1)..];
        foreach (var secret in new[] { Password, "wrong-password-attempt", Content, token, tokenSignature, Uri.EscapeDataString(token) })
        {
            Assert.DoesNotContain(lines, line => line.Contains(secret, StringComparison.Ordinal));
        }
    }
}

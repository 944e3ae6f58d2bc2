using System.Net;
using Confab.Tests.Infrastructure;

namespace Confab.Tests;

public sealed class ConfigurationTests
{
    [Fact]
    public async Task Production_without_a_secret_fails_fast_naming_the_setting()
    {
        using var folder = TempFolder.Create();

        var (exitCode, output) = await ServerProcess.RunUntilExitAsync(
            Path.Combine(folder.Path, "confab.db"), new Dictionary<string, string>(), TimeSpan.FromSeconds(30));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("SECRET_KEY_BASE", output, StringComparison.Ordinal);
        Assert.Contains("Confab:Auth:SigningKey", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_short_secret_is_refused()
    {
        using var folder = TempFolder.Create();

        var (exitCode, output) = await ServerProcess.RunUntilExitAsync(
            Path.Combine(folder.Path, "confab.db"), new Dictionary<string, string> { ["SECRET_KEY_BASE"] = "too-short" }, TimeSpan.FromSeconds(30));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("too short", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SECRET_KEY_BASE_is_honoured()
    {
        await using var app = new ConfabFactory(new() { ["Confab:Auth:SigningKey"] = null, ["SECRET_KEY_BASE"] = new string('k', 64) }, environment: "Production");

        await app.ClientForNewUserAsync("alice");
    }

    [Fact]
    public async Task Development_generates_a_key_beside_the_database_and_keeps_it_across_restarts()
    {
        string token;
        var settings = new Dictionary<string, string?> { ["Confab:Auth:SigningKey"] = null };
        await using (var first = new ConfabFactory(settings, environment: "Development"))
        {
            var client = await first.ClientForNewUserAsync("alice");
            token = client.DefaultRequestHeaders.Authorization!.Parameter!;
            Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(first.DatabasePath)!, "dev_secret_key_base")));

            // A second app on the same content root and database accepts the first one's token.
            var key = await File.ReadAllTextAsync(Path.Combine(Path.GetDirectoryName(first.DatabasePath)!, "dev_secret_key_base"));
            await using var second = new ConfabFactory(new() { ["Confab:Auth:SigningKey"] = key, ["Storage:DatabasePath"] = first.DatabasePath });
            var again = second.CreateClient();
            again.DefaultRequestHeaders.Authorization = new("Bearer", token);
            Assert.Equal(HttpStatusCode.OK, (await again.GetAsync("/api/rooms")).StatusCode);
        }
    }

    [Fact]
    public async Task Healthz_and_readyz_answer()
    {
        await using var app = new ConfabFactory();
        var client = app.CreateClient();

        Assert.Equal("Healthy", await client.GetStringAsync("/healthz"));
        var ready = await client.GetJsonAsync("/readyz");
        Assert.Equal("Healthy", ready.GetProperty("status").GetString());
        Assert.Equal($"{Environment.MachineName}-{Environment.ProcessId}", ready.GetProperty("node").GetString());
        Assert.Equal("Healthy", ready.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
        Assert.Equal("not configured: one node", ready.GetProperty("checks").GetProperty("redis").GetProperty("description").GetString());
    }

    [Fact]
    public async Task Readyz_fails_when_the_database_is_gone()
    {
        await using var app = new ConfabFactory();
        var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/readyz")).StatusCode);

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(app.DatabasePath)!, "confab.db*"))
        {
            File.Delete(file);
        }

        Directory.CreateDirectory(app.DatabasePath); // a folder where the file was: it cannot be opened
        var response = await client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var ready = await response.ReadJsonAsync();
        Assert.Equal("Unhealthy", ready.GetProperty("checks").GetProperty("database").GetProperty("status").GetString());
        Assert.Equal("The database does not answer.", ready.GetProperty("checks").GetProperty("database").GetProperty("description").GetString());
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
    }
}

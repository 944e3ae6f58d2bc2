using Confab.Tests.Infrastructure;

namespace Confab.Tests.Hosting;

/// <summary>The common mistakes stop the server with one line that names the setting, its value and what is allowed.</summary>
public sealed class BadSettingTests
{
    public static TheoryData<string, string, string[]> Mistakes => new()
    {
        { "Storage__Provider", "Foo", ["Storage:Provider is 'Foo'", "Sqlite, D1"] },
        { "Confab__Auth__TokenLifetime", "2 days", ["Confab:Auth:TokenLifetime is '2 days'", "1.00:00:00"] },
        { "Channels__IdleTimeout", "60s", ["Channels:IdleTimeout is '60s'", "hh:mm:ss"] },
        { "Storage__Provider", "D1", ["Storage:D1:BaseUrl is required", "http://d1.internal"] },
        { "SECRET_KEY_BASE", "too-short", ["SECRET_KEY_BASE (Confab:Auth:SigningKey) is too short", "at least 32 characters"] },
        { "Confab__Messages__MaxLength", "0", ["Confab:Messages:MaxLength must be between 1 and 16000", "(it is '0')"] },
        { "Confab__Messages__MaxLength", "many", ["Confab:Messages:MaxLength is 'many'", "a whole number"] },
        { "Confab__Server__AcceptBacklog", "3", ["Confab:Server:AcceptBacklog is 3", "between 16 and 65535"] },
        { "PORT", "http", ["PORT is 'http'", "1-65535"] },
        { "Storage__D1__BaseUrl", "d1.internal", ["Storage:D1:BaseUrl must be an absolute http:// or https:// URL", "'d1.internal'"] },
    };

    [Theory]
    [MemberData(nameof(Mistakes))]
    public async Task A_bad_setting_stops_the_server_with_one_line_and_no_stack_trace(string name, string value, string[] expected)
    {
        using var folder = TempFolder.Create();
        var environment = new Dictionary<string, string> { ["SECRET_KEY_BASE"] = ServerProcess.NewSecret(), [name] = value };
        if (name == "Storage__D1__BaseUrl")
        {
            environment["Storage__Provider"] = "D1";
        }

        var (exitCode, output) = await ServerProcess.RunUntilExitAsync(Path.Combine(folder.Path, "confab.db"), environment, TimeSpan.FromSeconds(30));

        Assert.Equal(78, exitCode);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var line = Assert.Single(lines);
        Assert.StartsWith("Confab cannot start: ", line, StringComparison.Ordinal);
        foreach (var part in expected)
        {
            Assert.Contains(part, line, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_secret_value_is_never_printed()
    {
        using var folder = TempFolder.Create();
        const string secret = "short-secret-value";

        var (exitCode, output) = await ServerProcess.RunUntilExitAsync(
            Path.Combine(folder.Path, "confab.db"), new Dictionary<string, string> { ["Confab__Auth__SigningKey"] = secret }, TimeSpan.FromSeconds(30));

        Assert.Equal(78, exitCode);
        Assert.Contains("too short", output, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, output, StringComparison.Ordinal);
    }
}

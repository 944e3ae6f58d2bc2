using System.Net;
using Confab.Tests.Infrastructure;

namespace Confab.Tests.Hosting;

/// <summary>
/// Where the server listens, from each of the settings an ASP.NET Core user or a container platform uses. Settings that
/// listen on every interface (<c>PORT</c>, <c>ASPNETCORE_HTTP_PORTS</c>) are tested inside a loopback-only network
/// namespace, in tests/clients/isolated.
/// </summary>
public sealed class ListenAddressTests
{
    public static TheoryData<string> Ways => ["--urls", "Urls", "ASPNETCORE_URLS", "ASPNETCORE_URLS over PORT"];

    [Theory]
    [MemberData(nameof(Ways))]
    public async Task Each_way_of_saying_where_to_listen_is_honoured(string way)
    {
        using var folder = TempFolder.Create();
        var address = new Uri($"http://127.0.0.1:{ServerProcess.FreePort()}");
        var (arguments, environment) = way switch
        {
            "--urls" => (["--urls", address.ToString()], new Dictionary<string, string>()),
            "Urls" => (Array.Empty<string>(), new Dictionary<string, string> { ["Urls"] = address.ToString() }),
            "ASPNETCORE_URLS" => (Array.Empty<string>(), new Dictionary<string, string> { ["ASPNETCORE_URLS"] = address.ToString() }),
            // The explicit URL wins over the platform's port, which would listen on every interface.
            _ => (Array.Empty<string>(), new Dictionary<string, string> { ["ASPNETCORE_URLS"] = address.ToString(), ["PORT"] = ServerProcess.FreePort().ToString() }),
        };

        await using var server = await ServerProcess.StartAsync(address, arguments, Path.Combine(folder.Path, "confab.db"), ServerProcess.NewSecret(), environment);

        using var client = server.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        Assert.Contains(server.OutputLines, line => line.Contains($"Now listening on: {address.ToString().TrimEnd('/')}", StringComparison.Ordinal));
        Assert.DoesNotContain(server.OutputLines, line => line.Contains("Now listening on: http://[::]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_nothing_said_it_listens_on_localhost_4000()
    {
        using var folder = TempFolder.Create();

        await using var server = await ServerProcess.StartAsync(new Uri("http://127.0.0.1:4000"), [], Path.Combine(folder.Path, "confab.db"), ServerProcess.NewSecret());

        using var client = server.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        Assert.Contains(server.OutputLines, line => line.Contains("Now listening on: http://localhost:4000", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_relative_database_path_is_taken_from_the_working_directory_and_logged_in_full()
    {
        using var folder = TempFolder.Create();
        var expected = Path.Combine(folder.Path, "here", "chat.db");

        // The process runs in folder.Path (the database path's folder below), with DATABASE_PATH relative to it.
        await using var server = await ServerProcess.StartAsync(
            Path.Combine(folder.Path, "confab.db"), ServerProcess.NewSecret(), new Dictionary<string, string> { ["DATABASE_PATH"] = "here/chat.db", ["Logging__LogLevel__Default"] = "Information" });

        Assert.True(File.Exists(expected), $"{expected} was not created");
        Assert.False(File.Exists(Path.Combine(AppContext.BaseDirectory, "here", "chat.db")), "the database landed beside the binaries");
        Assert.Contains(server.OutputLines, line => line.Contains($"Database {expected} ready", StringComparison.Ordinal));
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Confab.Messages;
using Confab.Rooms;
using Confab.Storage;
using Confab.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Confab.Tests.Storage;

/// <summary>
/// A D1 that is not there: nothing listening, or a server that never answers. These need no real D1, so they run in
/// the ordinary step; what D1 itself says (constraints, its parameter limit, 5xx in front of it) is in D1ContractTests.
/// </summary>
public sealed class D1FailureTests
{
    private static readonly Dictionary<string, string?> Quick = new()
    {
        ["Storage:D1:Timeout"] = "00:00:00.5",
        ["Storage:D1:RetryDelay"] = "00:00:00.05",
        ["Storage:D1:MaxAttempts"] = "3",
    };

    private static readonly SqlStatement Read = new("SELECT COUNT(*) AS n FROM rooms");
    private static readonly SqlStatement Write = new("INSERT INTO rooms (name, slug, inserted_at, updated_at) VALUES ('A', 'a', 't', 't')");

    [Fact]
    public async Task A_D1_nobody_listens_on_is_tried_three_times_then_fails_with_a_StorageException_naming_it()
    {
        var url = FaultyD1.ClosedPortUrl();
        await using var services = D1Services.Build(url, Quick);
        var executor = services.GetRequiredService<ISqlExecutor>();

        foreach (var statement in new[] { Read, Write })
        {
            // Nothing was sent, so even a write is safe to try again.
            var error = await Assert.ThrowsAsync<StorageException>(() => executor.ExecuteAsync(statement)).Within();

            Assert.Equal(StorageErrorKind.Unavailable, error.Kind);
            Assert.Contains(url, error.Message, StringComparison.Ordinal);
            Assert.Contains("could not be reached", error.Message, StringComparison.Ordinal);
            Assert.Contains("(3 attempt(s))", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_D1_that_never_answers_times_out_and_a_read_is_retried_but_a_write_is_not_sent_twice()
    {
        await using var d1 = await FaultyD1.StartAsync();
        d1.Hang = true;
        // A second per attempt: time enough for each request to reach the server even on a busy machine.
        await using var services = D1Services.Build(d1.Url, new(Quick) { ["Storage:D1:Timeout"] = "00:00:01" });
        var executor = services.GetRequiredService<ISqlExecutor>();

        var read = await Assert.ThrowsAsync<StorageException>(() => executor.ExecuteAsync(Read)).Within();
        Assert.Equal(3, d1.Requests);
        d1.ResetCount();
        var clock = Stopwatch.StartNew();
        var write = await Assert.ThrowsAsync<StorageException>(() => executor.BatchAsync([Write, Write])).Within();

        Assert.Equal(StorageErrorKind.Unavailable, read.Kind);
        Assert.Contains("did not answer within 1 s (3 attempt(s))", read.Message, StringComparison.Ordinal);
        Assert.Equal(1, d1.Requests);
        Assert.Equal(StorageErrorKind.Unavailable, write.Kind);
        Assert.Contains("did not answer within 1 s", write.Message, StringComparison.Ordinal);
        Assert.Contains("not sent again", write.Message, StringComparison.Ordinal);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(6));
    }

    [Fact]
    public async Task A_message_appended_while_D1_is_down_fails_and_nothing_is_acknowledged_or_broadcast()
    {
        await using var services = D1Services.Build(FaultyD1.ClosedPortUrl(), Quick);
        var store = services.GetRequiredService<ChatStore>();
        await using var log = new MessageLog(store, TimeProvider.System, Options.Create(new MessageLogOptions()), TestMetrics.Create(), NullLogger<MessageLog>.Instance);
        var broadcast = 0;
        log.Committed += _ => broadcast++;
        await log.StartAsync(CancellationToken.None).Within();
        var general = new Room(1, "General", "", "general", DateTime.UtcNow);

        var error = await Assert.ThrowsAsync<StorageException>(() => log.AppendAsync(general, new MessageAuthor(1, "alice"), "hello", "k1").AsTask()).Within();

        Assert.Equal(StorageErrorKind.Unavailable, error.Kind);
        Assert.Equal(0, broadcast);
    }

    [Fact]
    public async Task With_D1_down_the_server_starts_is_live_not_ready_and_answers_503_with_nothing_saved()
    {
        var settings = D1Services.Settings(FaultyD1.ClosedPortUrl());
        foreach (var (key, value) in Quick)
        {
            settings[key] = value;
        }

        await using var app = new ConfabFactory(settings);
        var client = app.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz").Within()).StatusCode);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/readyz").Within()).StatusCode);
        var response = await client.PostAsJsonAsync("/api/users", new { username = "alice", email = "alice@example.com", password = "password123" }).Within();
        var problem = await response.ReadJsonAsync().Within();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("1", response.Headers.GetValues("Retry-After").Single());
        Assert.Equal("The database is unavailable.", problem.GetProperty("title").GetString());
        Assert.DoesNotContain("127.0.0.1", problem.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("D1", null, "Storage:D1:BaseUrl is required when Storage:Provider is D1")]
    [InlineData("D1", "d1.internal", "Storage:D1:BaseUrl must be an absolute http:// or https:// URL")]
    [InlineData("D1", "https://api.cloudflare.com/client/v4/accounts/a/d1/database/b", "Storage:D1:Token is required")]
    [InlineData("Postgres", null, "ConnectionStrings:Postgres (environment ConnectionStrings__Postgres) is required when Storage:Provider is Postgres")]
    [InlineData("Foo", null, "it must be one of Sqlite, D1, Postgres")]
    public async Task A_bad_storage_setting_stops_the_server_with_a_message_naming_it(string provider, string? baseUrl, string expected)
    {
        using var folder = TempFolder.Create();
        var environment = new Dictionary<string, string> { ["SECRET_KEY_BASE"] = ServerProcess.NewSecret(), ["Storage__Provider"] = provider };
        if (baseUrl is not null)
        {
            environment["Storage__D1__BaseUrl"] = baseUrl;
        }

        var (exitCode, output) = await ServerProcess.RunUntilExitAsync(Path.Combine(folder.Path, "confab.db"), environment, TimeSpan.FromSeconds(30));

        Assert.NotEqual(0, exitCode);
        Assert.Contains(expected, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_group_commit_larger_than_one_D1_invocation_allows_stops_the_server()
    {
        using var folder = TempFolder.Create();
        var environment = new Dictionary<string, string>
        {
            ["SECRET_KEY_BASE"] = ServerProcess.NewSecret(),
            ["Storage__Provider"] = "D1",
            ["Storage__D1__BaseUrl"] = "http://127.0.0.1:9",
            ["Confab__MessageLog__MaxBatchSize"] = "991",
        };

        var (exitCode, output) = await ServerProcess.RunUntilExitAsync(Path.Combine(folder.Path, "confab.db"), environment, TimeSpan.FromSeconds(30));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("Confab:MessageLog:MaxBatchSize must be at most 990 with Storage:Provider=D1", output, StringComparison.Ordinal);
    }
}

using System.Net;
using System.Text;
using System.Text.Json;
using Confab.Messages;
using Confab.Storage;
using Confab.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Confab.Tests.Storage;

/// <summary>What D1 itself says and how the executor carries it: requests per group commit, D1's errors and limits,
/// 5xx in front of a real D1, the token. Against the run's local D1.</summary>
[Trait("Storage", "D1")]
[Collection(LocalD1.Collection)]
public sealed class D1ContractTests(LocalD1 d1) : IAsyncLifetime
{
    private static readonly SqlStatement CountRooms = new("SELECT COUNT(*) AS n FROM rooms");

    public Task InitializeAsync() => d1.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_group_commit_of_40_messages_is_one_request_to_D1()
    {
        var requests = new RequestCounter();
        await using var services = D1Services.Build(d1.Url, counter: requests);
        var store = services.GetRequiredService<ChatStore>();
        var user = await store.CreateUserAsync("alice", "alice@example.com", "hash", DateTimeOffset.UtcNow).Within();
        var general = await store.GetRoomBySlugAsync("general").Within();
        await using var log = new MessageLog(store, TimeProvider.System, Options.Create(new MessageLogOptions()), TestMetrics.Create(), NullLogger<MessageLog>.Instance);
        var sends = Enumerable.Range(1, 40).Select(i => log.AppendAsync(general!, new MessageAuthor(user!.Id, "alice"), $"m{i}", $"k{i}").AsTask()).ToList();
        requests.Reset();

        await log.StartAsync(CancellationToken.None).Within();
        var committed = await Task.WhenAll(sends).Within();

        Assert.Equal(1, requests.Count);
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (long)i), committed.Select(r => r.Message.Seq));
    }

    [Fact]
    public async Task A_refused_statement_is_sent_once_and_fails_with_D1s_code_and_message()
    {
        var requests = new RequestCounter();
        await using var services = D1Services.Build(d1.Url, counter: requests);

        var error = await Assert.ThrowsAsync<StorageException>(() => services.GetRequiredService<ISqlExecutor>().ExecuteAsync(new SqlStatement(
            "INSERT INTO rooms (name, slug, inserted_at, updated_at) VALUES ('G', 'general', 't', 't')"))).Within();

        Assert.Equal(1, requests.Count);
        Assert.Equal(StorageErrorKind.Constraint, error.Kind);
        Assert.Equal("7500", error.Code);
        Assert.Contains("D1_ERROR: UNIQUE constraint failed: rooms.slug", error.Message, StringComparison.Ordinal);
        Assert.Contains("HTTP 400", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task D1_itself_refuses_a_statement_past_100_parameters()
    {
        // Sent raw, past SqlStatement's own guard: 101 bound values.
        var sql = "SELECT " + string.Join(", ", Enumerable.Range(1, 101).Select(i => $"?{i}"));
        var body = JsonSerializer.Serialize(new { sql, @params = Enumerable.Range(1, 101) });
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var raw = await http.PostAsync(d1.Url + "/query", new StringContent(body, Encoding.UTF8, "application/json")).Within();
        var answer = await raw.ReadJsonAsync().Within();
        // Through the executor: a parameter number past D1's limit.
        await using var services = D1Services.Build(d1.Url);
        var error = await Assert.ThrowsAsync<StorageException>(() =>
            services.GetRequiredService<ISqlExecutor>().ExecuteAsync(new SqlStatement("SELECT ?101 AS n", 1L))).Within();

        Assert.Equal(HttpStatusCode.BadRequest, raw.StatusCode);
        Assert.False(answer.GetProperty("success").GetBoolean());
        Assert.Equal(7500, answer.GetProperty("errors")[0].GetProperty("code").GetInt32());
        Assert.Contains("between ?1 and ?100", answer.GetProperty("errors")[0].GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(StorageErrorKind.Invalid, error.Kind);
        Assert.Equal("7500", error.Code);
        Assert.Contains("between ?1 and ?100", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Past_a_5xx_a_read_is_retried_and_a_write_is_not_sent_again()
    {
        await using var proxy = await FaultyD1.StartAsync(d1.Url);
        await using var services = D1Services.Build(proxy.Url, new() { ["Storage:D1:RetryDelay"] = "00:00:00.05" });
        var executor = services.GetRequiredService<ISqlExecutor>();

        proxy.FailNext(2);
        var rooms = await executor.ExecuteAsync(CountRooms).Within();
        Assert.Equal(3, proxy.Requests);
        Assert.Equal(3, rooms.Rows[0].GetInt64("n"));

        proxy.ResetCount();
        proxy.FailNext(1);
        var error = await Assert.ThrowsAsync<StorageException>(() => executor.ExecuteAsync(new SqlStatement(
            "INSERT INTO rooms (name, slug, inserted_at, updated_at) VALUES ('Lost', 'lost', 't', 't')"))).Within();
        Assert.Equal(1, proxy.Requests);
        Assert.Equal(StorageErrorKind.Unavailable, error.Kind);
        Assert.Contains("HTTP 503", error.Message, StringComparison.Ordinal);
        Assert.Contains("not sent again", error.Message, StringComparison.Ordinal);
        Assert.Equal(3, (await executor.ExecuteAsync(CountRooms).Within()).Rows[0].GetInt64("n"));
    }

    [Fact]
    public async Task Storage_D1_Token_is_sent_as_a_bearer_token()
    {
        await using var proxy = await FaultyD1.StartAsync(d1.Url);
        await using var services = D1Services.Build(proxy.Url, new() { ["Storage:D1:Token"] = "a-test-token" });

        await services.GetRequiredService<ISqlExecutor>().ExecuteAsync(CountRooms).Within();

        Assert.Equal("Bearer a-test-token", proxy.LastAuthorization);
    }
}

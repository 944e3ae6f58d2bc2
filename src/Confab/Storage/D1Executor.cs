using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Confab.Storage;

/// <summary>
/// Runs <see cref="ChatStore"/>'s SQL on Cloudflare D1 over its HTTP JSON contract (<see cref="D1Contract"/>):
/// <c>POST {Storage:D1:BaseUrl}/query</c>, one request per statement, and one per batch (a batch is one transaction,
/// so a MessageLog group commit is one request). The same contract is served by the Worker's outbound handler at
/// <c>http://d1.internal</c> in production, by the public REST API, and by <c>wrangler dev</c> in tests.
/// </summary>
/// <remarks>
/// <para>Failures are <see cref="StorageException"/>s carrying D1's code and message. A 4xx is never retried.</para>
/// <para>Retries, with exponential backoff and jitter, up to <see cref="D1Options.MaxAttempts"/>: a request that
/// never reached D1 (connection refused, name not resolved) is always retried. A timeout, a 5xx or a connection lost
/// mid-request leaves the outcome unknown: a read (every statement a <c>SELECT</c>) is retried; a write is not, since
/// resending could commit it twice, so it fails at once with <see cref="StorageErrorKind.Unavailable"/> and the caller
/// decides (MessageLog fails the batch unacknowledged; clients resend with their <c>client_id</c>, which is idempotent).</para>
/// </remarks>
public sealed partial class D1Executor(
    IHttpClientFactory httpClients, IOptions<StorageOptions> options, TimeProvider time, ILogger<D1Executor> logger) : ISqlExecutor
{
    /// <summary>The named HttpClient (IHttpClientFactory) that carries Storage:D1:BaseUrl and the token.</summary>
    public const string HttpClientName = "Confab.Storage.D1";

    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private static readonly Uri QueryPath = new("query", UriKind.Relative);

    public async Task<SqlResult> ExecuteAsync(SqlStatement statement, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(statement);
        return (await SendAsync([statement], batch: false, cancellationToken))[0];
    }

    public Task<IReadOnlyList<SqlResult>> BatchAsync(IReadOnlyList<SqlStatement> statements, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(statements);
        return statements.Count == 0 ? Task.FromResult<IReadOnlyList<SqlResult>>([]) : SendAsync(statements, batch: true, cancellationToken);
    }

    /// <summary>The HttpClient settings for <see cref="HttpClientName"/>: base address and token; timeouts are per attempt, here.</summary>
    internal static void Configure(HttpClient client, D1Options d1)
    {
        client.BaseAddress = new Uri(d1.BaseUrl!.TrimEnd('/') + "/");
        client.Timeout = Timeout.InfiniteTimeSpan;
        if (!string.IsNullOrWhiteSpace(d1.Token))
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", d1.Token);
        }
    }

    private async Task<IReadOnlyList<SqlResult>> SendAsync(IReadOnlyList<SqlStatement> statements, bool batch, CancellationToken cancellationToken)
    {
        var settings = options.Value.D1;
        var body = D1Contract.WriteRequest(statements, batch);
        var writes = !IsReadOnly(statements);
        var client = httpClients.CreateClient(HttpClientName);
        for (var attempt = 1; ; attempt++)
        {
            var outcome = await TryOnceAsync(client, body, statements.Count, settings.Timeout, cancellationToken);
            if (outcome.Results is { } results)
            {
                return results;
            }

            if (outcome.Sent && writes)
            {
                throw new StorageException(
                    $"D1 at {client.BaseAddress} {outcome.Reason}. The statements write, so they were not sent again: "
                    + "whether D1 committed them is unknown.",
                    StorageErrorKind.Unavailable,
                    outcome.Exception);
            }

            if (attempt >= settings.MaxAttempts)
            {
                throw new StorageException(
                    $"D1 at {client.BaseAddress} {outcome.Reason} ({attempt} attempt(s)).", StorageErrorKind.Unavailable, outcome.Exception);
            }

            var delay = Backoff(settings.RetryDelay, attempt);
            LogRetry(logger, outcome.Reason, attempt, settings.MaxAttempts, (long)delay.TotalMilliseconds);
            await Task.Delay(delay, time, cancellationToken);
        }
    }

    private async Task<Attempt> TryOnceAsync(HttpClient client, ReadOnlyMemory<byte> body, int statementCount, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, QueryPath)
            {
                Content = new ReadOnlyMemoryContent(body) { Headers = { ContentType = Json } },
            };
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            var answer = await ReadAnswerAsync(response, linked.Token);
            if (response.IsSuccessStatusCode && answer is { Success: true })
            {
                return new Attempt(D1Contract.ToResults(answer, statementCount));
            }

            var refused = D1Contract.Refused(response.StatusCode, answer);
            if ((int)response.StatusCode < 500)
            {
                throw refused;
            }

            return new Attempt($"answered HTTP {(int)response.StatusCode}: {refused.Message}", Sent: true, refused);
        }
        catch (HttpRequestException e) when (e.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError)
        {
            return new Attempt($"could not be reached ({e.HttpRequestError})", Sent: false, e);
        }
        catch (HttpRequestException e)
        {
            return new Attempt($"failed mid-request ({e.HttpRequestError})", Sent: true, e);
        }
        catch (OperationCanceledException e) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return new Attempt($"did not answer within {timeout.TotalSeconds:0.###} s", Sent: true, e);
        }
    }

    private static async Task<D1Response?> ReadAnswerAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        try
        {
            return await JsonSerializer.DeserializeAsync(stream, D1JsonContext.Default.D1Response, cancellationToken);
        }
        catch (JsonException) when (!response.IsSuccessStatusCode)
        {
            return null; // a proxy's error page: the status says enough
        }
        catch (JsonException e)
        {
            throw new StorageException($"D1 answered HTTP {(int)response.StatusCode} with a body that is not D1's JSON.", StorageErrorKind.Unavailable, e);
        }
    }

    /// <summary>Only SELECTs may be resent when the outcome of a request is unknown.</summary>
    private static bool IsReadOnly(IReadOnlyList<SqlStatement> statements)
    {
        foreach (var statement in statements)
        {
            if (!statement.Sql.AsSpan().TrimStart().StartsWith("SELECT", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        return true;
    }

    private static TimeSpan Backoff(TimeSpan first, int attempt) =>
        first * Math.Pow(2, attempt - 1) * (0.8 + (0.4 * Random.Shared.NextDouble()));

    [LoggerMessage(EventId = 200, Level = LogLevel.Warning, Message = "D1 {Reason}; attempt {Attempt} of {MaxAttempts}, retrying in {DelayMs} ms.")]
    private static partial void LogRetry(ILogger logger, string reason, int attempt, int maxAttempts, long delayMs);

    /// <summary>One try: the results, or why not and whether the request may have reached D1.</summary>
    private readonly record struct Attempt(string Reason, bool Sent, Exception? Exception)
    {
        public Attempt(IReadOnlyList<SqlResult> results) : this("", Sent: true, null) => Results = results;

        public IReadOnlyList<SqlResult>? Results { get; }
    }
}

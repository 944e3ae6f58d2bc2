using Confab.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Confab.Tests.Infrastructure;

/// <summary>
/// The run's one real D1: workerd's D1 under <c>wrangler dev</c>, serving the project's own Worker, started once per run
/// by <c>deploy/cloudflare/local-d1.sh</c> (test.sh's D1 step), its contract at <c>CONFAB_D1_URL</c>. Tests that use it
/// carry <c>[Trait("Storage", "D1")]</c>, share <see cref="Collection"/> (so they run one at a time), and call
/// <see cref="ResetAsync"/> first. Without the variable every such test fails: it never skips.
/// </summary>
public sealed class LocalD1
{
    public const string Collection = "local D1";
    public const string UrlVariable = "CONFAB_D1_URL";

    private static readonly SqlStatement[] ResetStatements = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "d1-reset.sql"))
        .Split(";\n")
        .Select(part => string.Join('\n', part.Split('\n').Where(line => !line.StartsWith("--", StringComparison.Ordinal))).Trim())
        .Where(sql => sql.Length > 0)
        .Select(sql => new SqlStatement(sql))
        .ToArray();

    public LocalD1() =>
        Url = Environment.GetEnvironmentVariable(UrlVariable) is { Length: > 0 } url
            ? url
            : throw new InvalidOperationException(
                $"{UrlVariable} is not set: the D1 suites need a local D1. Run them as test.sh does: "
                + "deploy/cloudflare/local-d1.sh dotnet test tests/Confab.Tests --filter Storage=D1");

    /// <summary>The D1 contract's base URL, e.g. <c>http://127.0.0.1:8787/__d1</c>.</summary>
    public string Url { get; }

    /// <summary>Settings that put Confab on this D1.</summary>
    public Dictionary<string, string?> Settings() => D1Services.Settings(Url);

    /// <summary>Deletes what tests wrote: users, messages, rooms other than the seeded three, keys.</summary>
    public async Task ResetAsync()
    {
        await using var services = D1Services.Build(Url);
        await services.GetRequiredService<ISqlExecutor>().BatchAsync(ResetStatements).Within();
    }
}

[CollectionDefinition(LocalD1.Collection)]
public sealed class LocalD1Collection : ICollectionFixture<LocalD1>;

/// <summary>Confab's own storage registration (AddStorage) with D1 settings: the executor exactly as the server builds it.</summary>
public static class D1Services
{
    public static Dictionary<string, string?> Settings(string baseUrl) => new()
    {
        ["Storage:Provider"] = "D1",
        ["Storage:D1:BaseUrl"] = baseUrl,
    };

    public static ServiceProvider Build(string baseUrl, Dictionary<string, string?>? settings = null, RequestCounter? counter = null)
    {
        var all = Settings(baseUrl);
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }

        var services = new ServiceCollection()
            .AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(all).Build())
            .AddSingleton(TimeProvider.System)
            .AddLogging()
            .AddStorage();
        if (counter is not null)
        {
            services.AddHttpClient(D1Executor.HttpClientName).AddHttpMessageHandler(() => new CountingHandler(counter));
        }

        return services.BuildServiceProvider();
    }
}

/// <summary>Counts the HTTP requests a client sends (and the last Authorization header).</summary>
public sealed class RequestCounter
{
    private int count;

    public int Count => Volatile.Read(ref count);

    public string? LastAuthorization { get; private set; }

    public void Reset() => Interlocked.Exchange(ref count, 0);

    internal void Saw(HttpRequestMessage request)
    {
        Interlocked.Increment(ref count);
        LastAuthorization = request.Headers.Authorization?.ToString();
    }
}

internal sealed class CountingHandler(RequestCounter counter) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        counter.Saw(request);
        return base.SendAsync(request, cancellationToken);
    }
}

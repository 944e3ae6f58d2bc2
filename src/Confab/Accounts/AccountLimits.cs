using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Threading.RateLimiting;
using Confab.Api;
using Confab.Cluster;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Confab.Accounts;

/// <summary>
/// Limits on log-in, token issue and registration, against password guessing and account farming. Bound from
/// <c>Confab:RateLimits</c>. Every window slides (in 10 steps).
/// </summary>
public sealed class AccountLimitOptions
{
    public const string Section = "Confab:RateLimits";

    /// <summary>Log-in and token requests from one client IP per <see cref="LogInWindow"/>. Default 30.</summary>
    [Range(1, 1_000_000, ErrorMessage = "Confab:RateLimits:LogInsPerIp must be between 1 and 1000000.")]
    public int LogInsPerIp { get; set; } = 30;

    /// <summary>Default 1 minute.</summary>
    public TimeSpan LogInWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Log-in, token and registration attempts naming one username (or email) per <see cref="UsernameWindow"/>, from anywhere. Default 10.</summary>
    [Range(1, 1_000_000, ErrorMessage = "Confab:RateLimits:AttemptsPerUsername must be between 1 and 1000000.")]
    public int AttemptsPerUsername { get; set; } = 10;

    /// <summary>Default 5 minutes.</summary>
    public TimeSpan UsernameWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Registrations from one client IP per <see cref="RegistrationWindow"/>. Default 20.</summary>
    [Range(1, 1_000_000, ErrorMessage = "Confab:RateLimits:RegistrationsPerIp must be between 1 and 1000000.")]
    public int RegistrationsPerIp { get; set; } = 20;

    /// <summary>Default 1 hour.</summary>
    public TimeSpan RegistrationWindow { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// A header that carries the client's IP when a trusted proxy sets it (e.g. <c>CF-Connecting-IP</c> behind Cloudflare).
    /// Default none: the connection's remote address. Set it only when every request passes through that proxy.
    /// </summary>
    public string? ClientIpHeader { get; set; }

    /// <summary>The client's address: <see cref="ClientIpHeader"/>'s first value when set and sent (up to 64 characters), else the connection's.</summary>
    public string ClientAddress(HttpContext context) =>
        ClientIpHeader is { } header && context.Request.Headers[header].FirstOrDefault() is { Length: > 0 and <= 64 } forwarded
            ? forwarded
            : context.Connection.RemoteIpAddress?.ToString() ?? "";
}

/// <summary>
/// Per-IP limits through ASP.NET Core's rate limiter (policies <see cref="LogInPolicy"/> and <see cref="RegisterPolicy"/>,
/// on POSTs only), and the per-username limit, which needs the username from the body and so is checked by the handlers.
/// A refusal is 429 with <c>Retry-After</c>; problem details under <c>/api</c>.
/// </summary>
public sealed class AccountLimits : IDisposable
{
    public const string LogInPolicy = "log-in";
    public const string RegisterPolicy = "register";
    public const string TooManyAttempts = "Too many attempts. Please wait and try again.";

    private const int MaxKeyLength = 254;
    private readonly PartitionedRateLimiter<string> perUsername;

    public AccountLimits(IOptions<AccountLimitOptions> options, Cluster.ClusterLimits cluster)
    {
        var limits = options.Value;
        perUsername = PartitionedRateLimiter.Create<string, string>(username => RateLimitPartition.Get(
            username, key => new Cluster.SharedWindowLimiter(cluster, "username:" + key, limits.AttemptsPerUsername, limits.UsernameWindow)));
    }

    /// <summary>
    /// Counts an attempt naming <paramref name="username"/> (across the cluster); null when it may go on, else the wait:
    /// it is one too many.
    /// </summary>
    public async ValueTask<TimeSpan?> AttemptAsync(string? username)
    {
        var key = (username ?? "").Trim().ToLowerInvariant();
        if (key.Length == 0)
        {
            return null; // nobody's account: the per-IP limit still counts it
        }

        return await perUsername.TakeAsync(key.Length > MaxKeyLength ? key[..MaxKeyLength] : key, TimeSpan.FromMinutes(1));
    }

    /// <summary>Marks a refused form post: 429 with <c>Retry-After</c>.</summary>
    public static void Refuse(HttpContext context, TimeSpan retryAfter)
    {
        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.Headers.RetryAfter = Seconds(retryAfter).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>What a person reads: "Too many attempts. Please wait and try again. (in 42 s)".</summary>
    public static string Describe(TimeSpan wait) => $"{TooManyAttempts} (in {Seconds(wait)} s)";

    public static long Seconds(TimeSpan wait) => Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds));

    public void Dispose() => perUsername.Dispose();
}

internal static class AccountLimitsSetup
{
    public static IServiceCollection AddAccountLimits(this IServiceCollection services)
    {
        services.AddOptions<AccountLimitOptions>().BindConfiguration(AccountLimitOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.LogInWindow > TimeSpan.Zero && o.UsernameWindow > TimeSpan.Zero && o.RegistrationWindow > TimeSpan.Zero,
                "Confab:RateLimits:LogInWindow, UsernameWindow and RegistrationWindow must be positive.")
            .ValidateOnStart();
        services.AddSingleton<AccountLimits>();
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<AccountLimitOptions>>((options, limits) =>
        {
            var o = limits.Value;
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.AddPolicy(AccountLimits.LogInPolicy, context => PerIp(context, o, "log-ins", o.LogInsPerIp, o.LogInWindow));
            options.AddPolicy(AccountLimits.RegisterPolicy, context => PerIp(context, o, "registrations", o.RegistrationsPerIp, o.RegistrationWindow));
            options.OnRejected = async (rejected, cancellationToken) =>
            {
                var context = rejected.HttpContext;
                var wait = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : o.LogInWindow;
                if (context.Request.Path.StartsWithSegments("/api"))
                {
                    await Problems.TooManyRequests(context, AccountLimits.TooManyAttempts, wait).ExecuteAsync(context);
                    return;
                }

                AccountLimits.Refuse(context, wait);
                context.Response.ContentType = "text/plain; charset=utf-8";
                await context.Response.WriteAsync(AccountLimits.Describe(wait), cancellationToken);
            };
        });
        return services;
    }

    // Only posts count: the pages themselves (GET /login) are never limited. Counted across the cluster.
    private static RateLimitPartition<string> PerIp(HttpContext context, AccountLimitOptions options, string limit, int permits, TimeSpan window)
    {
        if (!HttpMethods.IsPost(context.Request.Method))
        {
            return RateLimitPartition.GetNoLimiter("not a post");
        }

        var cluster = context.RequestServices.GetRequiredService<Cluster.ClusterLimits>();
        return RateLimitPartition.Get($"{limit} {options.ClientAddress(context)}", key => new Cluster.SharedWindowLimiter(cluster, key, permits, window));
    }
}

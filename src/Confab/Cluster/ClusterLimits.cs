using System.Threading.RateLimiting;
using Confab.Telemetry;
using StackExchange.Redis;

namespace Confab.Cluster;

/// <summary>
/// Limits that hold across the cluster: at most so many per sliding window for a key (a user's messages, a member's
/// posts in a slow room, attempts naming a username, log-ins from an address), counted in Redis on Redis's clock. One
/// node (no Redis) counts alone. While Redis does not answer, each node enforces its own count instead (every node
/// keeps one all along, so it starts from what it saw); the switch is logged, and every check is counted in
/// <c>confab.cluster.limits</c> by <c>outcome</c>: <c>shared</c> or <c>per_node</c>.
/// </summary>
/// <remarks>
/// Each key is a sorted set of the times of the permits taken (<c>confab:limit:&lt;key&gt;</c>), trimmed to the window
/// and expiring with it; one script takes a permit or answers the wait, atomically.
/// </remarks>
public sealed partial class ClusterLimits(
    RedisLink link, Microsoft.Extensions.Options.IOptions<ClusterOptions> options, ConfabMetrics metrics, TimeProvider time, ILogger<ClusterLimits> logger)
{
    // The wait for Redis before this node decides alone: a post is never held up long by a slow or distant Redis.
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(250);

    // KEYS[1] the key; ARGV: the window (ms), the limit, a member unique to this permit. -1: taken; else the wait (ms).
    private const string Take = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local window = tonumber(ARGV[1])
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
        if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
          redis.call('ZADD', KEYS[1], now, ARGV[3])
          redis.call('PEXPIRE', KEYS[1], window)
          return -1
        end
        local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
        return tonumber(oldest[2]) + window - now
        """;

    private long taken;
    private int perNode;

    /// <summary>Whether limits are counted by the cluster now (Redis configured and answering).</summary>
    public bool Shared => Enabled && link.IsConnected;

    /// <summary>The clock of this node's own counts (<see cref="SlidingLog"/>).</summary>
    public TimeProvider Time => time;

    private bool Enabled => link.Enabled && options.Value.SharedLimits;

    /// <summary>
    /// Takes one of <paramref name="limit"/> permits per <paramref name="window"/> for <paramref name="key"/>: null when
    /// taken, else the wait until one frees. <paramref name="local"/> is this node's own count of the same limit: always
    /// taken, it decides alone when there is no Redis or Redis does not answer.
    /// </summary>
    public async ValueTask<TimeSpan?> TakeAsync(string key, int limit, TimeSpan window, Func<TimeSpan?> local)
    {
        var alone = local();
        if (!Enabled)
        {
            return alone;
        }

        if (link.IsConnected && link.Database is { } database)
        {
            try
            {
                RedisValue[] arguments =
                [
                    (long)Math.Ceiling(window.TotalMilliseconds), limit, $"{link.NodeId}:{Interlocked.Increment(ref taken)}",
                ];
                var wait = (long)await database.ScriptEvaluateAsync(Take, ["confab:limit:" + key], arguments).WaitAsync(Timeout);
                Counted("shared");
                if (Interlocked.Exchange(ref perNode, 0) == 1)
                {
                    LogShared(logger);
                }

                return wait < 0 ? null : TimeSpan.FromMilliseconds(Math.Max(1, wait));
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                PerNode(e);
                return alone;
            }
        }

        PerNode(null);
        return alone;
    }

    private void PerNode(Exception? exception)
    {
        Counted("per_node");
        if (Interlocked.Exchange(ref perNode, 1) == 0)
        {
            LogPerNode(logger, exception);
        }
    }

    private void Counted(string outcome) => metrics.LimitChecked(outcome);

    [LoggerMessage(EventId = 520, Level = LogLevel.Warning, Message = "Redis does not answer: each node enforces the rate limits alone until it does.")]
    private static partial void LogPerNode(ILogger logger, Exception? exception);

    [LoggerMessage(EventId = 521, Level = LogLevel.Information, Message = "Redis answers again: the rate limits are the cluster's again.")]
    private static partial void LogShared(ILogger logger);
}

/// <summary>
/// A <see cref="RateLimiter"/> for one key of a <see cref="ClusterLimits"/> limit (a partition of a
/// <see cref="PartitionedRateLimiter{TResource}"/>): <see cref="RateLimiter.AttemptAcquire(int)"/> answers from this
/// node's own sliding window when it decides alone, and otherwise leaves the answer to
/// <see cref="RateLimiter.AcquireAsync(int, CancellationToken)"/>, which asks the cluster, as ASP.NET Core's rate
/// limiting middleware does when an attempt fails. A refusal carries <see cref="MetadataName.RetryAfter"/>.
/// </summary>
public sealed class SharedWindowLimiter(ClusterLimits limits, string key, int permits, TimeSpan window) : RateLimiter
{
    private readonly SlidingLog local = new(permits, window, limits.Time);

    public override TimeSpan? IdleDuration => local.IdleDuration;

    public override RateLimiterStatistics? GetStatistics() => local.Statistics();

    protected override RateLimitLease AttemptAcquireCore(int permitCount) =>
        permitCount == 0 || !limits.Shared ? Lease.Of(local.Take(permitCount)) : Lease.NotYet;

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
        Lease.Of(permitCount == 0 ? local.Take(0) : await limits.TakeAsync(key, permits, window, () => local.Take(permitCount)));

    private sealed class Lease(bool acquired, TimeSpan? retryAfter) : RateLimitLease
    {
        public static readonly Lease Taken = new(true, null);

        // Not decided here: ask with AcquireAsync.
        public static readonly Lease NotYet = new(false, null);

        public static Lease Of(TimeSpan? wait) => wait is { } refused ? new Lease(false, refused) : Taken;

        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => retryAfter is null ? [] : [MetadataName.RetryAfter.Name];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = retryAfter;
            return retryAfter is not null && metadataName == MetadataName.RetryAfter.Name;
        }
    }
}

/// <summary>
/// This node's own count of one limit's key: when each permit of the last window was taken, the same sliding log Redis
/// keeps for the cluster (<see cref="ClusterLimits"/>). It is read when asked and runs no timer: a node holds one for
/// every user who posted lately, and a timer each (as <see cref="SlidingWindowRateLimiter"/> starts) made the runtime's
/// timer queue a fifth of a busy node's CPU.
/// </summary>
public sealed class SlidingLog
{
    private readonly Lock gate = new();
    private readonly Queue<long> taken = new();
    private readonly int permits;
    private readonly long window;
    private readonly TimeProvider time;
    private long newest;
    private long granted;
    private long refused;

    public SlidingLog(int permits, TimeSpan window, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(permits, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        this.permits = permits;
        this.time = time;
        this.window = (long)Math.Ceiling(window.TotalSeconds * time.TimestampFrequency);
        newest = time.GetTimestamp() - this.window; // idle from the start
    }

    /// <summary>
    /// Takes <paramref name="count"/> permits: null when taken, else the wait until enough of the window's permits
    /// expire. <paramref name="count"/> 0 only asks whether one is free.
    /// </summary>
    public TimeSpan? Take(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, permits);
        lock (gate)
        {
            var now = time.GetTimestamp();
            while (taken.TryPeek(out var oldest) && now - oldest >= window)
            {
                taken.Dequeue();
            }

            var over = taken.Count + Math.Max(count, 1) - permits;
            if (over > 0)
            {
                refused++;
                // The over-th oldest permit must leave the window first.
                return time.GetElapsedTime(now, taken.ElementAt(over - 1) + window);
            }

            for (var i = 0; i < count; i++)
            {
                taken.Enqueue(now);
                newest = now;
            }

            granted += count > 0 ? 1 : 0;
            return null;
        }
    }

    /// <summary>How long no permit has been in the window; null while one is.</summary>
    public TimeSpan? IdleDuration
    {
        get
        {
            lock (gate)
            {
                var now = time.GetTimestamp();
                var since = newest + window;
                return now >= since ? time.GetElapsedTime(since, now) : null;
            }
        }
    }

    public RateLimiterStatistics Statistics()
    {
        lock (gate)
        {
            var now = time.GetTimestamp();
            return new RateLimiterStatistics
            {
                CurrentAvailablePermits = permits - taken.Count(at => now - at < window),
                TotalSuccessfulLeases = granted,
                TotalFailedLeases = refused,
            };
        }
    }
}

public static class SharedWindowLimiting
{
    /// <summary>
    /// Takes a permit for <paramref name="key"/> as ASP.NET Core's middleware does: the attempt, and when it is not
    /// granted at once, the asking (which a <see cref="SharedWindowLimiter"/> leaves to the cluster). Null when taken,
    /// else the wait (<paramref name="fallbackWait"/> when the limiter does not say).
    /// </summary>
    public static async ValueTask<TimeSpan?> TakeAsync<TKey>(this PartitionedRateLimiter<TKey> limiter, TKey key, TimeSpan fallbackWait)
    {
        var lease = limiter.AttemptAcquire(key);
        if (!lease.IsAcquired)
        {
            lease.Dispose();
            lease = await limiter.AcquireAsync(key);
        }

        using (lease)
        {
            return lease.IsAcquired ? null : lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : fallbackWait;
        }
    }
}

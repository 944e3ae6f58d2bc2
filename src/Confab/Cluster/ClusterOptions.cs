namespace Confab.Cluster;

/// <summary>
/// How this node joins a cluster. Bound from <c>Confab:Cluster</c>; the backplane itself is on when
/// <c>Redis:Configuration</c> is set (<see cref="RedisConfiguration"/>).
/// </summary>
public sealed class ClusterOptions
{
    public const string Section = "Confab:Cluster";

    /// <summary>
    /// This node's name in logs, metrics and <c>/readyz</c>, and on what it publishes. Default: the host name and the
    /// process id (<c>web-1-4242</c>), unique among nodes that run at once.
    /// </summary>
    public string? NodeId { get; set; }

    /// <summary>
    /// StackExchange.Redis's configuration string (<c>Redis:Configuration</c>, environment <c>Redis__Configuration</c>),
    /// e.g. <c>redis.internal:6379,password=...</c>. Unset: one node, nothing leaves the process.
    /// </summary>
    public string? RedisConfiguration { get; set; }

    /// <summary>
    /// While Redis does not answer: how often each room's newest seq in the database is compared with what this node
    /// delivered (the sweep), the only way other nodes' events reach it meanwhile. Default 2 s.
    /// </summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// While Redis answers: how often the sweep runs anyway. Pub/sub loses a message only with a connection or a node (this
    /// node's subscription down, another's publishing connection down, a node dead between a commit and its publish), and
    /// each of those starts a sweep at once; this one is the backstop for a loss nobody noticed. A sweep reads one row per
    /// room this node has delivered to. Default 30 s.
    /// </summary>
    public TimeSpan ConnectedSweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Count the message rate limit, slow mode and the log-in limits across the nodes, in Redis (a round trip per post and
    /// per log-in). Default true; false counts them per node, as with no Redis.
    /// </summary>
    public bool SharedLimits { get; set; } = true;

    /// <summary>How often this node tells the others it is there (and how far its presence diffs went). Default 5 s.</summary>
    public TimeSpan PresenceHeartbeat { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A node not heard from for this long is taken for dead: its users leave every presence list. Default 15 s (three
    /// heartbeats).
    /// </summary>
    public TimeSpan NodeTimeout { get; set; } = TimeSpan.FromSeconds(15);
}

using System.Diagnostics;
using System.Diagnostics.Metrics;
using Confab.Channels;

namespace Confab.Telemetry;

/// <summary>
/// Confab's instruments, all on the meter <c>Confab</c> (the socket layer's <see cref="ChannelsMetrics"/> publishes
/// on it too). Durations are in seconds, as OpenTelemetry advises; Prometheus shows them as <c>*_seconds</c>.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term><c>confab.messages.accepted</c></term><description>messages committed (a repeated client_id not counted again)</description></item>
/// <item><term><c>confab.messages.rejected</c></term><description>by <c>reason</c>: validation, rate_limit, unauthorized, storage</description></item>
/// <item><term><c>confab.messages.latency</c></term><description>from receipt to <c>stage</c> = committed, then delivered (handed to every subscriber on this node); one observation per message per stage</description></item>
/// <item><term><c>confab.message_log.batch.size</c>, <c>confab.message_log.commit.duration</c></term><description>each group commit</description></item>
/// <item><term><c>confab.channel.joins</c></term><description>room joins by <c>outcome</c>: ok, room_not_found, unauthorized, invalid</description></item>
/// <item><term><c>confab.presence.tracked</c></term><description>presences tracked now (by this node)</description></item>
/// <item><term><c>confab.cluster.events</c></term><description>messages through the cluster's Redis, by <c>kind</c> and <c>outcome</c></description></item>
/// <item><term><c>confab.cluster.limits</c></term><description>rate-limit checks with Redis configured, by <c>outcome</c>: shared, per_node</description></item>
/// <item><term><c>confab.db.statement.duration</c></term><description>by <c>operation</c>, e.g. <c>select messages</c>, <c>batch</c></description></item>
/// </list>
/// </remarks>
public sealed class ConfabMetrics
{
    public const string MeterName = "Confab";

    /// <summary>Spans for channel joins and <c>new_message</c>, with room and user ids.</summary>
    public static readonly ActivitySource ActivitySource = new(MeterName);

    private readonly Counter<long> accepted;
    private readonly Counter<long> rejected;
    private readonly Histogram<double> latency;
    private readonly Histogram<long> batchSize;
    private readonly Histogram<double> commitDuration;
    private readonly Counter<long> joins;
    private readonly Histogram<double> statementDuration;
    private readonly Counter<long> socketsRefused;
    private readonly Counter<long> backplaneEvents;
    private readonly Counter<long> limitChecks;

    public ConfabMetrics(IMeterFactory meterFactory, IServiceProvider? services = null)
    {
        var meter = meterFactory.Create(MeterName);
        accepted = meter.CreateCounter<long>("confab.messages.accepted", "{message}", "Messages committed.");
        rejected = meter.CreateCounter<long>("confab.messages.rejected", "{message}", "Messages refused, by reason.");
        latency = meter.CreateHistogram<double>("confab.messages.latency", "s", "From receipt of a message to its commit and to its delivery to subscribers.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] });
        batchSize = meter.CreateHistogram<long>("confab.message_log.batch.size", "{message}", "Messages per group commit.",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] });
        commitDuration = meter.CreateHistogram<double>("confab.message_log.commit.duration", "s", "Time to commit one batch.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] });
        joins = meter.CreateCounter<long>("confab.channel.joins", "{join}", "Room joins, by outcome.");
        statementDuration = meter.CreateHistogram<double>("confab.db.statement.duration", "s", "Time to run one statement or batch, by operation.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1] });
        socketsRefused = meter.CreateCounter<long>("confab.sockets.refused", "{socket}", "Socket connects refused before the upgrade, by reason.");
        backplaneEvents = meter.CreateCounter<long>(
            "confab.cluster.events", "{message}",
            "Messages through the cluster's backplane, by kind (room_event, broadcast, presence) and outcome (published, publish_failed, received, unreadable).");
        limitChecks = meter.CreateCounter<long>(
            "confab.cluster.limits", "{check}", "Rate-limit checks with Redis configured, by outcome: shared (counted by the cluster) or per_node (Redis did not answer).");
        if (services is not null)
        {
            // Read when observed: presence (a cluster's) counts its messages here, so it cannot be had at construction.
            meter.CreateObservableUpDownCounter(
                "confab.presence.tracked", () => services.GetService<IPresence>()?.TrackedCount ?? 0, "{presence}", "Presences tracked now.");
        }
    }

    public void MessageAccepted() => accepted.Add(1);

    public void MessageRejected(string reason) => rejected.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <summary>Records the time since <paramref name="receivedAt"/> (a <see cref="Stopwatch"/> timestamp) for a stage.</summary>
    public void MessageReached(string stage, long receivedAt) =>
        latency.Record(Stopwatch.GetElapsedTime(receivedAt).TotalSeconds, new KeyValuePair<string, object?>("stage", stage));

    public void BatchCommitted(int size, TimeSpan duration)
    {
        batchSize.Record(size);
        commitDuration.Record(duration.TotalSeconds);
    }

    public void BackplaneEvent(string kind, string outcome) =>
        backplaneEvents.Add(1, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("outcome", outcome));

    public void LimitChecked(string outcome) => limitChecks.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    public void Joined(string outcome) => joins.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>A connect refused: <c>user_limit</c> or <c>address_limit</c> (too many open sockets).</summary>
    public void SocketRefused(string reason) => socketsRefused.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void StatementRan(string operation, TimeSpan duration) =>
        statementDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("operation", operation));
}

/// <summary>The stages of <c>confab.messages.latency</c>.</summary>
public static class ConfabMetricsStages
{
    /// <summary>The message's transaction committed.</summary>
    public const string Committed = "committed";

    /// <summary>The broadcast was handed to every subscriber on this node (queued to each socket).</summary>
    public const string Delivered = "delivered";
}

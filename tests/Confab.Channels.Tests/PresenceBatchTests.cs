using System.Text.Json;
using System.Text.Json.Nodes;
using Confab.Channels.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Confab.Channels.Tests;

/// <summary>
/// Presence diffs merged per topic over <see cref="ChannelOptions.PresenceDiffInterval"/>: one diff per interval,
/// and exact for phoenix.js whatever state a client held (checked against a model of its <c>syncDiff</c>).
/// </summary>
public sealed class PresenceBatchTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    [Fact]
    public void Changes_within_an_interval_go_out_as_one_diff_per_topic()
    {
        var (tracker, time, seen) = Create();
        PresenceHandle a = tracker.Track("t", "a", Meta("a1"), new object());
        PresenceHandle b = tracker.Track("t", "b", Meta("b1"), new object());
        tracker.Track("u", "c", Meta("c1"), new object());
        string oldB = b.Ref;
        b.Update(Meta("b2"));
        a.Dispose();

        Assert.Empty(seen);
        time.Advance(Interval - TimeSpan.FromMilliseconds(1));
        Assert.Empty(seen);
        time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal(["t", "u"], seen.Select(s => s.Topic));
        Assert.All(seen, s => Assert.True(s.Droppable && s.Event == PresenceTracker.DiffEvent));
        JsonElement diff = Parse(seen[0]);
        Assert.Equal(["a", "b"], diff.GetProperty("joins").EnumerateObject().Select(p => p.Name));
        Assert.Equal(["a1"], Names(diff, "joins", "a"));
        Assert.Equal(["b1", "b2"], Names(diff, "joins", "b"));
        Assert.Equal(["a1"], Names(diff, "leaves", "a"));
        Assert.Equal(["b1"], Names(diff, "leaves", "b"));
        Assert.Equal(oldB, diff.GetProperty("joins").GetProperty("b").GetProperty("metas")[1].GetProperty("phx_ref_prev").GetString());
        Assert.Equal(["c1"], Names(Parse(seen[1]), "joins", "c"));

        time.Advance(Interval * 4);
        Assert.Equal(2, seen.Count);
    }

    [Fact]
    public void A_join_and_leave_within_one_interval_leaves_no_ghost_whenever_the_state_was_listed()
    {
        var (tracker, time, seen) = Create();
        tracker.Track("t", "stays", Meta("s"), new object());
        time.Advance(Interval);
        seen.Clear();

        var before = State(tracker.List("t"));            // a client that joined before the visit
        PresenceHandle visitor = tracker.Track("t", "visitor", Meta("v"), new object());
        var during = State(tracker.List("t"));            // a client whose presence_state was listed mid-visit
        visitor.Dispose();
        var after = State(tracker.List("t"));             // a client that joined after the visit
        time.Advance(Interval);

        JsonElement diff = Parse(Assert.Single(seen));
        var expected = new[] { "stays" };
        Assert.Contains("visitor", during.Keys);
        Assert.Equal(expected, SyncDiff(before, diff).Keys);
        Assert.Equal(expected, SyncDiff(during, diff).Keys);
        Assert.Equal(expected, SyncDiff(after, diff).Keys);
    }

    [Fact]
    public void Every_client_converges_on_the_tracked_state_through_a_storm_of_changes()
    {
        var (tracker, time, seen) = Create();
        var random = new Random(7);
        var handles = new List<PresenceHandle>();
        var clients = new List<Dictionary<string, List<string>>>();
        for (int step = 0; step < 400; step++)
        {
            int roll = random.Next(10);
            if (roll < 5 || handles.Count == 0)
            {
                handles.Add(tracker.Track("t", $"user{random.Next(20)}", Meta($"m{step}"), new object()));
            }
            else if (roll < 8)
            {
                int index = random.Next(handles.Count);
                handles[index].Dispose();
                handles.RemoveAt(index);
            }
            else
            {
                handles[random.Next(handles.Count)].Update(Meta($"u{step}"));
            }

            if (step % 7 == 0)
            {
                clients.Add(State(tracker.List("t"))); // a joiner: subscribed already, gets the diffs from here on
            }

            if (step % 13 == 0)
            {
                time.Advance(Interval);
                foreach (Broadcast diff in seen)
                {
                    for (int c = 0; c < clients.Count; c++)
                    {
                        clients[c] = SyncDiff(clients[c], Parse(diff));
                    }
                }

                seen.Clear();
            }
        }

        time.Advance(Interval);
        var truth = State(tracker.List("t"));
        foreach (var client in clients)
        {
            var final = seen.Aggregate(client, (state, diff) => SyncDiff(state, Parse(diff)));
            Assert.Equal(Describe(truth), Describe(final));
        }
    }

    [Fact]
    public async Task Joiners_of_a_topic_within_one_interval_cost_each_member_one_diff()
    {
        await using var server = await TestServer.StartAsync(o => o.PresenceDiffInterval = TimeSpan.FromSeconds(5));
        await using var first = await server.ConnectAsync();
        await first.JoinOkAsync("presence:lobby", "1", """{"user":"u0","device":"d"}""");
        Assert.Equal("presence_state", (await first.ReceiveAsync()).Event);
        server.Presence.Flush();
        Assert.Equal("presence_diff", (await first.ReceiveAsync()).Event);

        var others = new List<PhoenixTestClient>();
        for (int i = 1; i <= 5; i++)
        {
            var client = await server.ConnectAsync();
            others.Add(client);
            await client.JoinOkAsync("presence:lobby", "1", $$"""{"user":"u{{i}}","device":"d"}""");
        }

        // A channel tracks its presence after the join reply (AfterJoinAsync): wait for the last one before flushing.
        using var timeout = new CancellationTokenSource(TestServer.Timeout);
        while (server.Presence.TrackedCount < 6)
        {
            await Task.Delay(5, timeout.Token);
        }

        server.Presence.Flush();
        Message diff = await first.ReceiveAsync();
        Assert.Equal("presence_diff", diff.Event);
        Assert.Equal(["u1", "u2", "u3", "u4", "u5"], diff.Payload.GetProperty("joins").EnumerateObject().Select(p => p.Name));
        foreach (var client in others)
        {
            await client.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_large_state_is_pushed_whole_in_both_protocols()
    {
        await using var server = await TestServer.StartAsync();
        for (int i = 0; i < 3000; i++)
        {
            server.Presence.Track("presence:big", $"member{i}", JsonPayload.Parse("""{"device":"phone","online_at":"1700000000"}"""), new object());
        }

        // Their diff goes out now, to nobody; merged later it could reach the joiner before its state (which phoenix.js
        // allows, holding such diffs until the state arrives).
        server.Presence.Flush();

        await using var v2 = await server.ConnectAsync();
        await v2.JoinOkAsync("presence:big", "1", """{"user":"v2","device":"d"}""");
        Message state = await v2.ReceiveAsync();
        Assert.Equal("presence_state", state.Event);
        Assert.Equal("1", state.JoinRef);
        Assert.True(state.Raw.Length > 100_000, $"{state.Raw.Length} bytes");
        Assert.Equal(3001, state.Payload.EnumerateObject().Count());

        await using var v1 = await server.ConnectAsync("token=good&vsn=1.0.0");
        await v1.SendAsync("""{"topic":"presence:big","event":"phx_join","payload":{"user":"v1","device":"d"},"ref":"7"}""");
        Assert.Contains("\"status\":\"ok\"", (await v1.ReceiveFrameAsync()).Text, StringComparison.Ordinal);
        using JsonDocument v1State = JsonDocument.Parse((await v1.ReceiveFrameAsync()).Text);
        Assert.Equal("presence_state", v1State.RootElement.GetProperty("event").GetString());
        Assert.Equal(JsonValueKind.Null, v1State.RootElement.GetProperty("ref").ValueKind);
        Assert.Equal(3002, v1State.RootElement.GetProperty("payload").EnumerateObject().Count());
    }

    [Fact]
    public void The_interval_is_checked()
    {
        var options = new ChannelOptions();
        Assert.Equal(TimeSpan.FromMilliseconds(50), options.PresenceDiffInterval);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.PresenceDiffInterval = TimeSpan.FromMilliseconds(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => options.PresenceDiffInterval = TimeSpan.FromSeconds(6));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PresenceTracker(new LocalPubSub(), TimeProvider.System, TimeSpan.FromMilliseconds(-1)));
    }

    private static (PresenceTracker Tracker, FakeTimeProvider Time, List<Broadcast> Seen) Create()
    {
        var pubSub = new LocalPubSub();
        var seen = new List<Broadcast>();
        pubSub.Subscribe("t", new Collect(seen));
        pubSub.Subscribe("u", new Collect(seen));
        var time = new FakeTimeProvider();
        return (new PresenceTracker(pubSub, time, Interval), time, seen);
    }

    private static JsonObject Meta(string name) => new() { ["name"] = name };

    private static JsonElement Parse(Broadcast broadcast) => JsonDocument.Parse(broadcast.Payload.Utf8).RootElement;

    private static string[] Names(JsonElement diff, string part, string key) =>
        [.. diff.GetProperty(part).GetProperty(key).GetProperty("metas").EnumerateArray().Select(m => m.GetProperty("name").GetString()!)];

    // key -> metas as "phx_ref name", in order
    private static Dictionary<string, List<string>> State(JsonPayload state)
    {
        var result = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (JsonProperty key in JsonDocument.Parse(state.Utf8).RootElement.EnumerateObject())
        {
            result[key.Name] = [.. key.Value.GetProperty("metas").EnumerateArray().Select(Meta)];
        }

        return result;
    }

    private static string Meta(JsonElement meta) => meta.GetProperty("phx_ref").GetString() + " " + meta.GetProperty("name").GetString();

    private static string RefOf(string meta) => meta[..meta.IndexOf(' ', StringComparison.Ordinal)];

    /// <summary>phoenix.js Presence.syncDiff: joins (known metas of the key kept in front), then leaves by phx_ref.</summary>
    private static Dictionary<string, List<string>> SyncDiff(Dictionary<string, List<string>> current, JsonElement diff)
    {
        var state = current.ToDictionary(p => p.Key, p => p.Value.ToList(), StringComparer.Ordinal);
        foreach (JsonProperty join in diff.GetProperty("joins").EnumerateObject())
        {
            List<string> joined = [.. join.Value.GetProperty("metas").EnumerateArray().Select(Meta)];
            if (state.TryGetValue(join.Name, out var known))
            {
                joined.InsertRange(0, known.Where(m => !joined.Any(j => RefOf(j) == RefOf(m))));
            }

            state[join.Name] = joined;
        }

        foreach (JsonProperty leave in diff.GetProperty("leaves").EnumerateObject())
        {
            if (!state.TryGetValue(leave.Name, out var known))
            {
                continue;
            }

            var gone = leave.Value.GetProperty("metas").EnumerateArray().Select(m => m.GetProperty("phx_ref").GetString()).ToHashSet();
            known.RemoveAll(m => gone.Contains(RefOf(m)));
            if (known.Count == 0)
            {
                state.Remove(leave.Name);
            }
        }

        return state;
    }

    private static string Describe(Dictionary<string, List<string>> state) =>
        string.Join("; ", state.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + string.Join(",", p.Value.Order(StringComparer.Ordinal))));

    private sealed class Collect(List<Broadcast> seen) : IBroadcastSubscriber
    {
        public void OnBroadcast(Broadcast message) => seen.Add(message);
    }
}

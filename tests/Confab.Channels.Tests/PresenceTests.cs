using System.Text.Json;
using System.Text.RegularExpressions;
using Confab.Channels.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Confab.Channels.Tests;

/// <summary>PHOENIX_PROTOCOL 4: presence_state / presence_diff as Phoenix.Presence sends them.</summary>
public sealed partial class PresenceTests
{
    [Fact]
    public async Task Joiner_gets_the_state_and_every_subscriber_the_join_diff()
    {
        await using var server = await TestServer.StartAsync();
        await using var alice = await server.ConnectAsync();

        await alice.JoinOkAsync("presence:lobby", "3", """{"user":"alice","device":"phone"}""");
        var (state, diff) = await ReceiveStateAndDiffAsync(alice);

        Assert.Equal("3", state.JoinRef);
        Assert.Null(state.Ref);
        JsonElement meta = Assert.Single(state.Payload.GetProperty("alice").GetProperty("metas").EnumerateArray());
        Assert.Equal("phone", meta.GetProperty("device").GetString());
        Assert.Equal("1700000000", meta.GetProperty("online_at").GetString());
        string phxRef = meta.GetProperty("phx_ref").GetString()!;
        Assert.Matches(PhxRefPattern(), phxRef);
        Assert.Equal(3, meta.EnumerateObject().Count());

        Assert.Null(diff.JoinRef);
        Assert.Null(diff.Ref);
        Assert.Equal(
            """{"joins":{"alice":{"metas":[{"device":"phone","online_at":"1700000000","phx_ref":""" + $"\"{phxRef}\"" + """}]}},"leaves":{}}""",
            diff.Payload.GetRawText());
    }

    [Fact]
    public async Task An_IPresence_registered_by_the_app_is_the_one_channels_use()
    {
        CountingPresence? counting = null;
        await using var server = await TestServer.StartAsync(services: services => services.AddSingleton<IPresence>(provider =>
            counting = new CountingPresence(new PresenceTracker(provider.GetRequiredService<IPubSub>(), TimeProvider.System))));
        await using var alice = await server.ConnectAsync();

        await alice.JoinOkAsync("presence:lobby", "3", """{"user":"alice","device":"phone"}""");
        var (state, _) = await ReceiveStateAndDiffAsync(alice);

        Assert.Equal(1, counting!.Tracks);
        Assert.Equal(1, counting.States);
        Assert.Equal("phone", state.Payload.GetProperty("alice").GetProperty("metas")[0].GetProperty("device").GetString());
    }

    /// <summary>An app's own presence: here one that counts what channels ask of it and lets the local tracker answer.</summary>
    private sealed class CountingPresence(PresenceTracker inner) : IPresence
    {
        public int Tracks;
        public int States;

        public int TrackedCount => inner.TrackedCount;

        public PresenceHandle Track(string topic, string key, JsonPayload meta, object owner)
        {
            Interlocked.Increment(ref Tracks);
            return inner.Track(topic, key, meta, owner);
        }

        public void Update(PresenceHandle handle, JsonPayload meta) => inner.Update(handle, meta);

        public bool Untrack(PresenceHandle handle) => inner.Untrack(handle);

        public JsonPayload List(string topic) => inner.List(topic);

        public void WriteState(System.Text.Json.Utf8JsonWriter writer, string topic)
        {
            Interlocked.Increment(ref States);
            inner.WriteState(writer, topic);
        }
    }

    [Fact]
    public async Task Same_key_from_two_sockets_is_one_key_with_two_metas()
    {
        await using var server = await TestServer.StartAsync();
        await using var phone = await server.ConnectAsync();
        await using var laptop = await server.ConnectAsync();
        await phone.JoinOkAsync("presence:lobby", "3", """{"user":"alice","device":"phone"}""");
        await ReceiveStateAndDiffAsync(phone);

        await laptop.JoinOkAsync("presence:lobby", "3", """{"user":"alice","device":"laptop"}""");
        var (state, _) = await ReceiveStateAndDiffAsync(laptop);

        Assert.Single(state.Payload.EnumerateObject());
        var metas = state.Payload.GetProperty("alice").GetProperty("metas").EnumerateArray().ToList();
        Assert.Equal(["phone", "laptop"], metas.Select(m => m.GetProperty("device").GetString()));
        Assert.NotEqual(metas[0].GetProperty("phx_ref").GetString(), metas[1].GetProperty("phx_ref").GetString());

        Message diff = await phone.ReceiveAsync();
        Assert.Equal("presence_diff", diff.Event);
        Assert.Equal("laptop", diff.Payload.GetProperty("joins").GetProperty("alice").GetProperty("metas")[0].GetProperty("device").GetString());
        Assert.Empty(diff.Payload.GetProperty("leaves").EnumerateObject());
    }

    [Fact]
    public async Task Update_lists_the_key_in_joins_with_phx_ref_prev_and_in_leaves()
    {
        await using var server = await TestServer.StartAsync();
        await using var alice = await server.ConnectAsync();
        await using var bob = await server.ConnectAsync();
        await alice.JoinOkAsync("presence:lobby", "3", """{"user":"alice","device":"phone"}""");
        var (state, _) = await ReceiveStateAndDiffAsync(alice);
        string oldRef = state.Payload.GetProperty("alice").GetProperty("metas")[0].GetProperty("phx_ref").GetString()!;
        await bob.JoinOkAsync("presence:lobby", "3", """{"user":"bob","device":"laptop"}""");
        await ReceiveStateAndDiffAsync(bob);
        Assert.Equal("presence_diff", (await alice.ReceiveAsync()).Event);

        await alice.SendAsync("""["3","4","presence:lobby","update",{"status":"away"}]""");

        Message diff = await bob.ReceiveAsync();
        Assert.Equal("presence_diff", diff.Event);
        JsonElement joined = Assert.Single(diff.Payload.GetProperty("joins").GetProperty("alice").GetProperty("metas").EnumerateArray());
        JsonElement left = Assert.Single(diff.Payload.GetProperty("leaves").GetProperty("alice").GetProperty("metas").EnumerateArray());
        Assert.Equal("away", joined.GetProperty("status").GetString());
        Assert.Equal(oldRef, joined.GetProperty("phx_ref_prev").GetString());
        Assert.NotEqual(oldRef, joined.GetProperty("phx_ref").GetString());
        Assert.Equal(oldRef, left.GetProperty("phx_ref").GetString());
        Assert.False(left.TryGetProperty("status", out _));

        // The state now holds only the new meta.
        JsonElement now = Assert.Single(JsonDocument.Parse(server.Presence.List("presence:lobby").Utf8).RootElement.GetProperty("alice").GetProperty("metas").EnumerateArray());
        Assert.Equal(joined.GetRawText(), now.GetRawText());
    }

    [Fact]
    public async Task Closing_a_socket_untracks_its_presence()
    {
        await using var server = await TestServer.StartAsync();
        await using var alice = await server.ConnectAsync();
        var bob = await server.ConnectAsync();
        await alice.JoinOkAsync("presence:lobby", "3", """{"user":"alice","device":"phone"}""");
        await ReceiveStateAndDiffAsync(alice);
        await bob.JoinOkAsync("presence:lobby", "3", """{"user":"bob","device":"laptop"}""");
        var (state, _) = await ReceiveStateAndDiffAsync(bob);
        string bobRef = state.Payload.GetProperty("bob").GetProperty("metas")[0].GetProperty("phx_ref").GetString()!;
        Assert.Equal("presence_diff", (await alice.ReceiveAsync()).Event);

        await bob.DisposeAsync();

        Message diff = await alice.ReceiveAsync();
        Assert.Equal(
            """{"joins":{},"leaves":{"bob":{"metas":[{"device":"laptop","online_at":"1700000000","phx_ref":""" + $"\"{bobRef}\"" + """}]}}}""",
            diff.Payload.GetRawText());
        await server.Probe.WaitForAsync("terminate presence:lobby bob Closed");
        Assert.False(JsonDocument.Parse(server.Presence.List("presence:lobby").Utf8).RootElement.TryGetProperty("bob", out _));
    }

    [Fact]
    public async Task Leaving_untracks_and_an_empty_topic_lists_as_an_empty_object()
    {
        await using var server = await TestServer.StartAsync();
        await using var alice = await server.ConnectAsync();
        await alice.JoinOkAsync("presence:lobby", "3", """{"user":"alice","device":"phone"}""");
        await ReceiveStateAndDiffAsync(alice);

        await alice.SendAsync("""["3","4","presence:lobby","phx_leave",{}]""");
        Assert.Equal("phx_reply", (await alice.ReceiveAsync()).Event);
        Assert.Equal("phx_close", (await alice.ReceiveAsync()).Event);

        Assert.Equal("{}", server.Presence.List("presence:lobby").ToString());
        Assert.Equal("{}", server.Presence.List("never:used").ToString());
    }

    [Fact]
    public void Phx_refs_are_unique_even_on_a_frozen_clock()
    {
        var tracker = new PresenceTracker(new LocalPubSub(), new FakeTimeProvider());
        var refs = new HashSet<string>(StringComparer.Ordinal);
        var owner = new object();

        for (int i = 0; i < 100_000; i++)
        {
            PresenceHandle handle = tracker.Track("t", i.ToString(System.Globalization.CultureInfo.InvariantCulture), JsonPayload.Empty, owner);
            Assert.Matches(PhxRefPattern(), handle.Ref);
            Assert.True(refs.Add(handle.Ref));
        }
    }

    [Fact]
    public void Tracking_the_same_key_twice_for_one_owner_is_refused()
    {
        var tracker = new PresenceTracker(new LocalPubSub(), TimeProvider.System);
        var owner = new object();
        tracker.Track("t", "alice", JsonPayload.Empty, owner);

        Assert.Throws<InvalidOperationException>(() => tracker.Track("t", "alice", JsonPayload.Empty, owner));
        tracker.Track("t", "alice", JsonPayload.Empty, new object());
        Assert.Equal(2, JsonDocument.Parse(tracker.List("t").Utf8).RootElement.GetProperty("alice").GetProperty("metas").GetArrayLength());
    }

    [Fact]
    public void Diffs_are_droppable_broadcasts_on_the_topic()
    {
        var pubSub = new LocalPubSub();
        var seen = new List<Broadcast>();
        using var subscription = pubSub.Subscribe("t", new Collect(seen));
        var tracker = new PresenceTracker(pubSub, TimeProvider.System);

        using (PresenceHandle handle = tracker.Track("t", "alice", JsonPayload.Parse("""{"phx_ref":"forged","a":1}"""), new object()))
        {
            Assert.DoesNotContain("forged", handle.Meta.ToString(), StringComparison.Ordinal);
        }

        Assert.Equal(2, seen.Count);
        Assert.All(seen, b => Assert.True(b.Droppable && b.Event == "presence_diff" && b.Topic == "t"));
        Assert.Contains("\"leaves\":{\"alice\"", seen[1].Payload.ToString(), StringComparison.Ordinal);
    }

    private static async Task<(Message State, Message Diff)> ReceiveStateAndDiffAsync(PhoenixTestClient client)
    {
        Message first = await client.ReceiveAsync();
        Message second = await client.ReceiveAsync();
        Message state = first.Event == "presence_state" ? first : second;
        Message diff = first.Event == "presence_diff" ? first : second;
        Assert.Equal("presence_state", state.Event);
        Assert.Equal("presence_diff", diff.Event);
        return (state, diff);
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{16}$")]
    private static partial Regex PhxRefPattern();

    private sealed class Collect(List<Broadcast> seen) : IBroadcastSubscriber
    {
        public void OnBroadcast(Broadcast message) => seen.Add(message);
    }
}

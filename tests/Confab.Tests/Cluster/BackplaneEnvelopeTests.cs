using Confab.Api;
using Confab.Cluster;
using Confab.Messages;
using Confab.Rooms;

namespace Confab.Tests.Cluster;

/// <summary>
/// A room event crosses to another node as the JSON sockets get, and comes out the same: every kind of event, its
/// payload encoded again byte for byte as on the node that committed it, with its room.
/// </summary>
public sealed class BackplaneEnvelopeTests
{
    private static readonly Room Room = new(7, "Night Owls", "Late.", "night-owls", new DateTime(2026, 12, 7, 10, 0, 0, DateTimeKind.Utc))
    {
        Visibility = RoomVisibility.Private,
    };

    private static readonly MessageAuthor Alice = new(3, "alice");
    private static readonly MessageAuthor Bob = new(5, "bob");

    private static readonly Message Full = new(42, Room.Id, 12, "hi @bob 😀", Alice, new DateTime(2026, 12, 7, 10, 0, 1, 123, DateTimeKind.Utc), "k1")
    {
        EditedAt = new DateTime(2026, 12, 7, 10, 5, 0, DateTimeKind.Utc),
        Reactions = [new ReactionSummary("👍", 2, [3, 5]), new ReactionSummary("🎉", 1, [5])],
        ReplyTo = new ReplyPreview(40, 10, Bob, "the question"),
        Mentions = [5],
    };

    public static TheoryData<string, IRoomEvent> Events() => new()
    {
        { RoomEventNames.NewMessage, Full },
        { RoomEventNames.NewMessage, new Message(43, Room.Id, 13, "plain", Bob, new DateTime(2026, 12, 7, 10, 0, 2, DateTimeKind.Utc), null) },
        { RoomEventNames.MessageUpdated, new MessageUpdated(14, Full) },
        { RoomEventNames.MessageDeleted, new MessageDeleted(15, 42) },
        { RoomEventNames.ReactionAdded, new ReactionChanged(16, 42, "👍", Bob) { Added = true } },
        { RoomEventNames.ReactionRemoved, new ReactionChanged(17, 42, "👍", Bob) { Added = false } },
        { RoomEventNames.MemberAdded, new MemberChanged(18, Bob, "member") },
        { RoomEventNames.MemberUpdated, new MemberChanged(19, Bob, "admin") },
        { RoomEventNames.MemberRemoved, new MemberChanged(20, Bob, null) },
        { RoomEventNames.RoomUpdated, new RoomUpdated(21, 30) },
    };

    [Theory]
    [MemberData(nameof(Events))]
    public void An_event_read_on_another_node_is_the_event_that_was_committed(string name, IRoomEvent payload)
    {
        var read = BackplaneEnvelope.Read(BackplaneEnvelope.Write("node-1", Room, name, payload));

        Assert.NotNull(read);
        Assert.Equal(("node-1", name, Room), (read.Node, read.Name, read.Room));
        Assert.Equal(payload.GetType(), read.Payload.GetType());
        Assert.Equal(RoomEventJson.Payload(payload).Utf8.ToArray(), RoomEventJson.Payload(read.Payload).Utf8.ToArray());
        switch (read.Payload)
        {
            case Message message:
                Assert.Equal(payload, message); // RoomId included: it travels in the envelope
                Assert.Equal(((Message)payload).Mentions, message.Mentions);
                break;
            case MessageUpdated updated:
                Assert.Equal(((MessageUpdated)payload).Message, updated.Message);
                break;
            case ReactionChanged reaction:
                Assert.Equal(((ReactionChanged)payload).Added, reaction.Added);
                break;
            default:
                Assert.Equal(payload, read.Payload);
                break;
        }
    }

    [Fact]
    public void An_event_this_version_does_not_know_is_skipped_and_a_broken_envelope_is_an_error()
    {
        var unknown = System.Text.Encoding.UTF8.GetBytes("""{"node":"n","room":{"id":1,"name":"a","description":"","slug":"a","inserted_at":"2026-12-07T10:00:00.000Z","visibility":"public"},"event":"poll_closed","payload":{"seq":3}}""");

        Assert.Null(BackplaneEnvelope.Read(unknown));
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => BackplaneEnvelope.Read("{\"node\":"u8));
    }
}

/// <summary>A broadcast crosses to another node as it was sent: its topic, event and payload, droppable or not, JSON or binary.</summary>
public sealed class ClusterBroadcastEnvelopeTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_json_broadcast_comes_out_the_same(bool droppable)
    {
        var sent = new Confab.Channels.Broadcast("room:7", "user_typing", Confab.Channels.JsonPayload.Parse("""{"user_id":3,"username":"ålice 😀"}"""))
        {
            Droppable = droppable,
        };

        var (node, received) = ClusterPubSub.Read(ClusterPubSub.Write("web-1-42", sent));

        Assert.Equal("web-1-42", node);
        Assert.Equal(("room:7", "user_typing", droppable, false), (received.Topic, received.Event, received.Droppable, received.IsBinary));
        Assert.Equal(sent.Payload.ToString(), received.Payload.ToString());
        Assert.Null(received.Value);
    }

    [Fact]
    public void A_binary_broadcast_comes_out_byte_for_byte()
    {
        byte[] bytes = [0, 1, 2, 250, 255, (byte)'{'];
        var (_, received) = ClusterPubSub.Read(ClusterPubSub.Write("n", Confab.Channels.Broadcast.CreateBinary("user_socket:3", "disconnect", bytes)));

        Assert.True(received.IsBinary);
        Assert.Equal(bytes, received.BinaryPayload.ToArray());
        Assert.Equal(("user_socket:3", "disconnect"), (received.Topic, received.Event));
    }

    [Fact]
    public void Something_else_is_refused_as_unreadable() =>
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => ClusterPubSub.Read("""{"node":"n","topic":"t"}"""u8));
}

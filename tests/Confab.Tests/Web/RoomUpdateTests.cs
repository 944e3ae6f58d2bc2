using Confab.Messages;
using Confab.Web.Chat;

namespace Confab.Tests.Web;

public sealed class RoomUpdateTests
{
    private static readonly MessageAuthor Alice = new(1, "alice");
    private static readonly MessageAuthor Bob = new(2, "bob");

    private static Message From(MessageAuthor author, long seq) => new(seq, 1, seq, "hi", author, DateTime.UnixEpoch, null);

    [Fact]
    public void A_message_ends_the_typing_its_author_did_before_it_in_the_same_update()
    {
        var update = new RoomUpdate();
        update.Typed(Alice);
        update.Typed(Bob);
        update.Add(From(Alice, 7));

        Assert.Equal([Bob], update.Typing);
        Assert.Equal([7L], update.Events.Select(e => e.Seq));
    }

    [Fact]
    public void Typing_after_ones_own_message_still_shows()
    {
        var update = new RoomUpdate();
        update.Add(From(Alice, 7));
        update.Typed(Alice);

        Assert.Equal([Alice], update.Typing);
        update.Clear();
        Assert.Empty(update.Typing);
        Assert.Empty(update.Events);
    }
}

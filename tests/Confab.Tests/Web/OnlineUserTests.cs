using System.Text.Json;
using Confab.Web.Chat;

namespace Confab.Tests.Web;

public sealed class OnlineUserTests
{
    [Fact]
    public void A_presence_state_becomes_users_with_their_connection_counts_sorted_by_name()
    {
        using var state = JsonDocument.Parse("""
            {"7": {"metas": [{"username": "zoe", "phx_ref": "a"}, {"username": "zoe", "phx_ref": "b"}]},
             "3": {"metas": [{"username": "alice", "phx_ref": "c"}]},
             "x": {"metas": [{"username": "not a user id", "phx_ref": "d"}]}}
            """);

        var online = OnlineUser.FromPresence(state.RootElement);

        Assert.Equal([new OnlineUser(3, "alice", 1), new OnlineUser(7, "zoe", 2)], online);
    }
}

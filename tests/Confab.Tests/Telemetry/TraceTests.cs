using System.Collections.Concurrent;
using System.Diagnostics;
using Confab.Telemetry;
using Confab.Tests.Infrastructure;

namespace Confab.Tests.Telemetry;

[Collection(RunsAlone.Name)]
public sealed class TraceTests
{
    [Fact]
    public async Task Joins_and_sends_are_traced_with_room_and_user_ids()
    {
        var activities = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == ConfabMetrics.MeterName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activities.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var app = new ConfabFactory();
        var address = app.StartKestrel();
        var token = ConfabFactory.TokenOf(await app.ClientForNewUserAsync("alice"));

        await using (var client = await PhoenixClient.ConnectAsync(address, token))
        {
            await client.RequestAsync("room:tech-talk", "phx_join", new { });
            await client.RequestAsync("room:tech-talk", "new_message", new { content = "traced" });
        }

        var join = Assert.Single(activities, a => a.OperationName == "room.join" && (string?)a.GetTagItem("messaging.destination.name") == "room:tech-talk");
        Assert.Equal(1L, join.GetTagItem("confab.user.id"));
        Assert.Equal(2L, join.GetTagItem("confab.room.id"));
        var send = Assert.Single(activities, a => a.OperationName == "room.new_message" && Equals(a.GetTagItem("confab.room.id"), 2L));
        Assert.Equal(1L, send.GetTagItem("confab.user.id"));
    }
}

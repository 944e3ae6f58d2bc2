using System.Net;
using Confab.Rooms;
using Confab.Storage;
using Confab.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Confab.Tests.Rooms;

/// <summary>Room lookups are served from memory (on D1 each would be an HTTP round trip), and creating a room updates them.</summary>
public sealed class RoomCacheTests
{
    private const string BySlug = "FROM rooms WHERE slug";
    private const string AllRooms = "FROM rooms ORDER BY id";

    private static ConfabFactory AppCounting(out Func<CountingExecutor> counting)
    {
        CountingExecutor? executor = null;
        counting = () => executor!;
        return new ConfabFactory(configureServices: services =>
        {
            var real = services.Single(d => d.ServiceType == typeof(ISqlExecutor));
            services.Replace(ServiceDescriptor.Singleton<ISqlExecutor>(provider =>
                executor = new CountingExecutor((ISqlExecutor)real.ImplementationFactory!(provider))));
        });
    }

    [Fact]
    public async Task Joins_and_posts_to_a_room_look_it_up_in_the_database_once()
    {
        await using var app = AppCounting(out var counting);
        var client = await app.ClientForNewUserAsync("alice").Within();
        var rooms = app.Services.GetRequiredService<RoomDirectory>();

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("general", (await rooms.GetAsync("general").Within())!.Slug);
            await client.PostJsonAsync("/api/rooms/general/messages", new { content = $"m{i}" }, HttpStatusCode.Created).Within();
        }

        Assert.Equal(1, counting().StatementsContaining(BySlug));
    }

    [Fact]
    public async Task A_created_room_is_found_at_once_and_listed_and_a_missing_one_is_not_remembered()
    {
        await using var app = AppCounting(out var counting);
        var client = await app.ClientForNewUserAsync("alice").Within();
        var rooms = app.Services.GetRequiredService<RoomDirectory>();
        Assert.Equal(3, (await rooms.ListAsync().Within()).Count);
        Assert.Equal(3, (await rooms.ListAsync().Within()).Count);
        Assert.Null(await rooms.GetAsync("night-owls").Within());

        await client.PostJsonAsync("/api/rooms", new { name = "Night Owls", description = "" }, HttpStatusCode.Created).Within();

        Assert.Equal("Night Owls", (await rooms.GetAsync("night-owls").Within())!.Name);
        Assert.Contains(await rooms.ListAsync().Within(), room => room.Slug == "night-owls");
        // The list was read twice (before and after the change), the new room never by slug: creating it cached it.
        Assert.Equal(2, counting().StatementsContaining(AllRooms));
        Assert.Equal(1, counting().StatementsContaining(BySlug));
    }
}

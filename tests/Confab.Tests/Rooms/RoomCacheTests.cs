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
    public async Task A_created_room_is_found_at_once_and_a_missing_one_is_not_remembered()
    {
        await using var app = AppCounting(out var counting);
        var client = await app.ClientForNewUserAsync("alice").Within();
        var rooms = app.Services.GetRequiredService<RoomDirectory>();
        Assert.Null(await rooms.GetAsync("night-owls").Within());

        await client.PostJsonAsync("/api/rooms", new { name = "Night Owls", description = "" }, HttpStatusCode.Created).Within();

        Assert.Equal("Night Owls", (await rooms.GetAsync("night-owls").Within())!.Name);
        Assert.Contains((await client.GetJsonAsync("/api/rooms").Within()).EnumerateArray(), room => room.GetProperty("slug").GetString() == "night-owls");
        // Looked up by slug once (the miss, not remembered), never after: creating the room cached it.
        Assert.Equal(1, counting().StatementsContaining(BySlug));
    }
}

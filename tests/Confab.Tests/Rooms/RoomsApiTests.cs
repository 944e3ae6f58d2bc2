using System.Net;
using Confab.Rooms;
using Confab.Tests.Infrastructure;

namespace Confab.Tests.Rooms;

public sealed class RoomsApiTests
{
    [Fact]
    public async Task The_seeded_rooms_are_listed_and_a_new_room_can_be_created_and_fetched()
    {
        await using var app = new ConfabFactory();
        var client = await app.ClientForNewUserAsync("alice");

        var seeded = await client.GetJsonAsync("/api/rooms");
        Assert.Equal(["general", "tech-talk", "random"], seeded.EnumerateArray().Select(r => r.GetProperty("slug").GetString()));

        var created = await client.PostJsonAsync("/api/rooms", new { name = "  Rust & Go!  ", description = "Systems talk" }, HttpStatusCode.Created);
        Assert.Equal("rust-go", created.GetProperty("slug").GetString());
        Assert.Equal("Rust & Go!", created.GetProperty("name").GetString());

        var fetched = await client.GetJsonAsync("/api/rooms/rust-go");
        Assert.Equal("Systems talk", fetched.GetProperty("description").GetString());
        Assert.Equal(4, (await client.GetJsonAsync("/api/rooms")).GetArrayLength());
    }

    [Fact]
    public async Task A_slug_clash_is_409_and_an_unknown_slug_is_404()
    {
        await using var app = new ConfabFactory();
        var client = await app.ClientForNewUserAsync("alice");

        var problem = await client.PostJsonAsync("/api/rooms", new { name = "GENERAL" }, HttpStatusCode.Conflict);
        Assert.Single(problem.FieldErrors("name"));
        await client.GetJsonAsync("/api/rooms/nope", HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("", "", "name")]
    [InlineData("   ", "", "name")]
    [InlineData("!!!", "", "name")]
    [InlineData("x", "", null)]
    public async Task Room_names_and_descriptions_are_validated(string name, string description, string? field)
    {
        await using var app = new ConfabFactory();
        var client = await app.ClientForNewUserAsync("alice");

        if (field is null)
        {
            await client.PostJsonAsync("/api/rooms", new { name, description }, HttpStatusCode.Created);
            return;
        }

        var problem = await client.PostJsonAsync("/api/rooms", new { name, description }, HttpStatusCode.UnprocessableEntity);
        Assert.Single(problem.FieldErrors(field));
    }

    [Fact]
    public async Task Length_limits_are_80_for_names_and_500_for_descriptions()
    {
        await using var app = new ConfabFactory();
        var client = await app.ClientForNewUserAsync("alice");

        await client.PostJsonAsync("/api/rooms", new { name = new string('a', 80), description = new string('d', 500) }, HttpStatusCode.Created);
        var tooLong = await client.PostJsonAsync("/api/rooms", new { name = new string('b', 81), description = new string('d', 501) }, HttpStatusCode.UnprocessableEntity);
        Assert.Single(tooLong.FieldErrors("name"));
        Assert.Single(tooLong.FieldErrors("description"));
    }

    [Theory]
    [InlineData("Tech Talk", "tech-talk")]
    [InlineData("Café  Crème", "café-crème")]
    [InlineData("--Hello, World--", "hello-world")]
    [InlineData("日本語 チャット", "日本語-チャット")]
    public void Slugs_keep_letters_and_digits_and_join_the_rest_with_dashes(string name, string slug) =>
        Assert.Equal(slug, RoomDirectory.Slugify(name));
}

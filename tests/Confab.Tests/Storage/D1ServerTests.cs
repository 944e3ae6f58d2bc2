using System.Net;
using System.Net.Http.Headers;
using Confab.Tests.Infrastructure;

namespace Confab.Tests.Storage;

/// <summary>The whole server with <c>Storage:Provider=D1</c>, on the run's local D1 (migrated by wrangler, not by Confab).</summary>
[Trait("Storage", "D1")]
[Collection(LocalD1.Collection)]
public sealed class D1ServerTests(LocalD1 d1) : IAsyncLifetime
{
    public Task InitializeAsync() => d1.ResetAsync();

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Accounts_rooms_messages_and_readiness_work_on_D1()
    {
        await using var app = new ConfabFactory(d1.Settings());
        var alice = await app.ClientForNewUserAsync("alice").Within();

        Assert.Equal("Healthy", await alice.GetStringAsync("/readyz").Within());
        await alice.PostJsonAsync("/api/rooms", new { name = "Night Owls", description = "Late." }, HttpStatusCode.Created).Within();
        await alice.PostJsonAsync("/api/rooms", new { name = "night owls", description = "" }, HttpStatusCode.Conflict).Within();
        var first = await alice.PostJsonAsync("/api/rooms/night-owls/messages", new { content = "hello 😀", client_id = "c1" }, HttpStatusCode.Created).Within();
        var retry = await alice.PostJsonAsync("/api/rooms/night-owls/messages", new { content = "hello 😀", client_id = "c1" }, HttpStatusCode.OK).Within();
        for (var i = 2; i <= 5; i++)
        {
            await alice.PostJsonAsync("/api/rooms/night-owls/messages", new { content = $"m{i}" }, HttpStatusCode.Created).Within();
        }

        Assert.Equal(first.GetProperty("id").GetInt64(), retry.GetProperty("id").GetInt64());
        var page = await alice.GetJsonAsync("/api/rooms/night-owls/messages?after_seq=1&limit=3").Within();
        Assert.Equal([2L, 3L, 4L], page.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("seq").GetInt64()));
        Assert.True(page.GetProperty("has_more").GetBoolean());
        var latest = await alice.GetJsonAsync("/api/rooms/night-owls/messages").Within();
        Assert.Equal("hello 😀", latest.GetProperty("messages")[0].GetProperty("content").GetString());

        // A second server on the same D1 (another node, or this one restarted) sees it all and accepts alice's token.
        await using var other = new ConfabFactory(new Dictionary<string, string?>(app.Settings));
        var again = other.CreateClient();
        again.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", alice.DefaultRequestHeaders.Authorization!.Parameter);
        Assert.Equal(4, (await again.GetJsonAsync("/api/rooms").Within()).GetArrayLength());
        Assert.Equal(5, (await again.GetJsonAsync("/api/rooms/night-owls/messages").Within()).GetProperty("messages").GetArrayLength());
    }

    [Fact]
    public async Task A_D1_without_a_migration_this_version_ships_stops_the_server_naming_it()
    {
        using var folder = TempFolder.Create();
        var migrations = Directory.CreateDirectory(Path.Combine(folder.Path, "migrations")).FullName;
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "db", "migrations"), "*.sql"))
        {
            File.Copy(file, Path.Combine(migrations, Path.GetFileName(file)));
        }

        await File.WriteAllTextAsync(Path.Combine(migrations, "0099_future.sql"), "ALTER TABLE rooms ADD COLUMN topic TEXT;").Within();
        var environment = new Dictionary<string, string>
        {
            ["SECRET_KEY_BASE"] = ServerProcess.NewSecret(),
            ["Storage__Provider"] = "D1",
            ["Storage__D1__BaseUrl"] = d1.Url,
            ["Storage__MigrationsPath"] = migrations,
        };

        var (exitCode, output) = await ServerProcess.RunUntilExitAsync(Path.Combine(folder.Path, "confab.db"), environment, TimeSpan.FromSeconds(30)).Within(40);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("D1 lacks 1 migration(s) this version needs: 0099_future.sql", output, StringComparison.Ordinal);
        Assert.Contains("wrangler d1 migrations apply confab --remote", output, StringComparison.Ordinal);
    }
}

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
    public Task Accounts_rooms_messages_and_readiness_work_on_D1() => SharedDatabase.AccountsRoomsAndMessagesAsync(d1.Settings());

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

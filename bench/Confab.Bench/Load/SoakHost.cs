using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Confab.Bench.Load;

/// <summary>The real Confab app in this process, on Kestrel at 127.0.0.1 (a free port), over a SQLite file in a temp folder.</summary>
public sealed class SoakHost : WebApplicationFactory<Confab.Rooms.RoomDirectory> // any type of the app's assembly: the bench has its own Program
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "confab-soak", Guid.NewGuid().ToString("N"));

    public Uri Start()
    {
        Directory.CreateDirectory(folder);
        UseKestrel(0);
        StartServer();
        var address = Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Uri(address.Replace("localhost", "127.0.0.1", StringComparison.Ordinal));
    }

    public T Service<T>() where T : notnull => Services.GetRequiredService<T>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Production");
        builder.UseContentRoot(folder);
        builder.UseSetting("Storage:DatabasePath", Path.Combine(folder, "confab.db"));
        builder.UseSetting("Storage:MigrationsPath", Path.Combine(AppContext.BaseDirectory, "db", "migrations"));
        builder.UseSetting("Confab:Auth:SigningKey", Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)));
        builder.UseSetting("Confab:Messages:RateLimitCount", "1000000");
        builder.UseSetting("Confab:RateLimits:LogInsPerIp", "1000000");
        builder.UseSetting("Confab:RateLimits:RegistrationsPerIp", "1000000");
        builder.UseSetting("Confab:Realtime:MaxSocketsPerUser", "1000000"); // thousands of sockets from 127.0.0.1, as few users
        builder.UseSetting("Confab:Realtime:MaxSocketsPerAddress", "1000000");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
    }
}

using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json;
using Confab.Realtime;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Confab.Tests.Infrastructure;

/// <summary>
/// The real Confab app over a real SQLite file in its own temp folder, with its own signing key.
/// Every test <c>await using</c>s one.
/// </summary>
public sealed class ConfabFactory : WebApplicationFactory<Program>
{
    private readonly Dictionary<string, string?> settings;

    public ConfabFactory(
        Dictionary<string, string?>? settings = null, TimeProvider? time = null, string environment = "Test", Action<IServiceCollection>? configureServices = null)
    {
        Folder = TempFolder.Create();
        // HTTPS, as in production: cookies are Secure outside Development, and HttpClient sends them only over HTTPS.
        ClientOptions.BaseAddress = new Uri("https://localhost");
        Time = time;
        Environment = environment;
        if (configureServices is not null)
        {
            testServices.Add(configureServices);
        }

        this.settings = new Dictionary<string, string?>
        {
            ["Storage:DatabasePath"] = Path.Combine(Folder.Path, "confab.db"),
            ["Confab:Auth:SigningKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)),
        };
        foreach (var (key, value) in settings ?? [])
        {
            this.settings[key] = value;
        }
    }

    private readonly List<Action<IServiceCollection>> testServices = [];

    public TempFolder Folder { get; }

    /// <summary>Changes the app's services; call before the app starts.</summary>
    public void ConfigureTestServices(Action<IServiceCollection> configure) => testServices.Add(configure);

    public TimeProvider? Time { get; }

    public string Environment { get; }

    public string DatabasePath => settings["Storage:DatabasePath"]!;

    /// <summary>Every setting this app runs with (its signing key included), to start another app like it.</summary>
    public IReadOnlyDictionary<string, string?> Settings => settings;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(Environment);
        builder.UseContentRoot(Folder.Path);
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }

        if (Time is not null)
        {
            builder.ConfigureServices(services => services.Replace(ServiceDescriptor.Singleton(Time)));
        }

        foreach (var configure in testServices)
        {
            builder.ConfigureServices(configure);
        }
    }

    /// <summary>Starts the app on real Kestrel at 127.0.0.1 (a free port), for real WebSockets; returns its address.</summary>
    public Uri StartKestrel()
    {
        UseKestrel(0);
        // UseKestrel registers Kestrel again, after Program, so Kestrel's own buffer pool factory would be the last registered
        // and win; in the app as built, Program's BufferPoolFactory is last (MemoryTrimmerTests checks that). Give the
        // transport the app's factory, as in production.
        ConfigureTestServices(services => services.AddOptions<SocketTransportOptions>().PostConfigure<BufferPoolFactory>((options, buffers) =>
            typeof(SocketTransportOptions).GetProperty("MemoryPoolFactory", BindingFlags.NonPublic | BindingFlags.Instance)!.SetValue(options, buffers)));
        StartServer();
        var addresses = Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses;
        return new Uri(addresses.First().Replace("localhost", "127.0.0.1", StringComparison.Ordinal));
    }

    /// <summary>A client that keeps cookies and does not follow redirects, as a browser's form posts see them.</summary>
    public HttpClient CreateBrowserClient() =>
        CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = ClientOptions.BaseAddress, HandleCookies = true, AllowAutoRedirect = false });

    /// <summary>Registers a user and returns a client that sends their bearer token.</summary>
    public async Task<HttpClient> ClientForNewUserAsync(string username, string password = "correct horse")
    {
        var client = CreateClient();
        var registered = await client.PostAsJsonAsync("/api/users", new { username, email = $"{username}@example.com", password });
        registered.EnsureSuccessStatusCode();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(client, username, password));
        return client;
    }

    /// <summary>
    /// A new user who has joined <paramref name="rooms"/> (public rooms), so that the seqs of what they post next follow
    /// one another: joining is itself a room event (<c>member_added</c>).
    /// </summary>
    public async Task<HttpClient> ClientForNewMemberAsync(string username, params string[] rooms)
    {
        var client = await ClientForNewUserAsync(username);
        foreach (var room in rooms)
        {
            var joined = await client.PostAsJsonAsync($"/api/rooms/{room}/members", new { username });
            Assert.Equal(System.Net.HttpStatusCode.Created, joined.StatusCode);
        }

        return client;
    }

    public static string TokenOf(HttpClient client) => client.DefaultRequestHeaders.Authorization!.Parameter!;

    public static async Task<string> TokenAsync(HttpClient client, string username, string password)
    {
        var response = await client.PostAsJsonAsync("/api/auth/token", new { username, password });
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("token").GetString()!;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Folder.Dispose();
    }
}

public sealed class TempFolder : IDisposable
{
    private TempFolder(string path) => Path = path;

    public string Path { get; }

    public static TempFolder Create()
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "confab-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return new TempFolder(path);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A server process killed by a test may still be releasing the folder; /tmp is cleaned by the OS.
        }
    }
}

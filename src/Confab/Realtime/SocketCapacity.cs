using Confab.Channels;
using Confab.Hosting;
using System.Globalization;
using Microsoft.AspNetCore.Connections;

namespace Confab.Realtime;

/// <summary>How many connections Kestrel takes, how fast, and when it gives memory back. Bound from <c>Confab:Server</c>.</summary>
public sealed class SocketCapacityOptions
{
    public const string Section = "Confab:Server";

    /// <summary>
    /// Connections the kernel queues until the server accepts them (the listen backlog). Default 4,096; Linux caps it at
    /// <c>net.core.somaxconn</c>. Kestrel's own default, 512, overflows in a storm of thousands of joins per second, and each
    /// connection dropped there waits a second for its SYN to be resent.
    /// </summary>
    public int AcceptBacklog { get; set; } = 4096;

    /// <summary>
    /// Connections open at once, sockets and HTTP alike (Kestrel's <c>MaxConcurrentConnections</c> and
    /// <c>MaxConcurrentUpgradedConnections</c>, unless <c>Kestrel:Limits</c> sets them). Default: the process's open-file limit
    /// less 400 (19,600 under a limit of 20,000), or 100,000 where there is no limit. The 400 are the server's own files: .NET
    /// keeps two descriptors open per loaded assembly (about 300 for Confab), and the database and logs take a few more.
    /// One more connection is closed at once, rather than the process running out of file descriptors (which aborts it).
    /// </summary>
    public long? MaxConnections { get; set; }

    /// <summary>How often Kestrel's idle buffers are trimmed and a drop in open sockets is looked for (<see cref="MemoryTrimmer"/>). Default 2 s.</summary>
    public TimeSpan TrimInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Fewest sockets that must have closed (and at least half the peak) before the heap is compacted to give their memory
    /// back; at most once per five <see cref="TrimInterval"/>s. Default 100.
    /// </summary>
    public int TrimAfterDrop { get; set; } = 100;
}

public static class SocketCapacity
{
    private const long Reserve = 400;
    private const long Unlimited = 100_000;

    /// <summary>
    /// Kestrel's listen backlog and connection limits from <see cref="SocketCapacityOptions"/>, sockets served from the
    /// connection (<c>UsePhoenixSockets</c>), its buffers from a <see cref="BufferPool"/>, and the <see cref="MemoryTrimmer"/>.
    /// </summary>
    public static WebApplicationBuilder UseSocketCapacity(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(SocketCapacityOptions.Section).Get<SocketCapacityOptions>() ?? new SocketCapacityOptions();
        if (options.AcceptBacklog is < 16 or > 65535)
        {
            throw new SettingException($"Confab:Server:AcceptBacklog is {options.AcceptBacklog}; it must be between 16 and 65535.");
        }

        if (options.MaxConnections is < 1)
        {
            throw new SettingException($"Confab:Server:MaxConnections is {options.MaxConnections}; it must be positive.");
        }

        if (options.TrimInterval <= TimeSpan.Zero || options.TrimAfterDrop < 1)
        {
            throw new SettingException($"Confab:Server:TrimInterval is {options.TrimInterval} and Confab:Server:TrimAfterDrop {options.TrimAfterDrop}; both must be positive.");
        }

        long maxConnections = options.MaxConnections ?? DefaultMaxConnections();
        builder.WebHost.UseSockets(sockets => sockets.Backlog = options.AcceptBacklog);
        var configured = builder.Configuration.GetSection("Kestrel:Limits");
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // Kestrel binds its own section too; a value set there is left to it.
            if (configured["MaxConcurrentConnections"] is null)
            {
                kestrel.Limits.MaxConcurrentConnections = maxConnections;
            }

            if (configured["MaxConcurrentUpgradedConnections"] is null)
            {
                kestrel.Limits.MaxConcurrentUpgradedConnections = maxConnections;
            }

            // Sockets straight from the connection, without Kestrel's HTTP/1.1 state for their lifetime (RealtimeSetup maps them).
            kestrel.ConfigureEndpointDefaults(listen => listen.UsePhoenixSockets());
        });
        // Kestrel's transport takes its buffer pools from this factory (the last registered wins).
        builder.Services.AddSingleton<BufferPoolFactory>();
        builder.Services.AddSingleton<IMemoryPoolFactory<byte>>(services => services.GetRequiredService<BufferPoolFactory>());
        builder.Services.AddOptions<SocketCapacityOptions>().BindConfiguration(SocketCapacityOptions.Section);
        builder.Services.AddHostedService<MemoryTrimmer>();
        return builder;
    }

    /// <summary>The soft open-file limit from <c>/proc/self/limits</c> less a reserve; 100,000 when there is none or it cannot be read.</summary>
    internal static long DefaultMaxConnections()
    {
        const string path = "/proc/self/limits";
        if (!File.Exists(path))
        {
            return Unlimited;
        }

        foreach (var line in File.ReadLines(path))
        {
            if (line.StartsWith("Max open files", StringComparison.Ordinal))
            {
                var fields = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return fields.Length > 0 && long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var soft)
                    ? Math.Clamp(soft - Reserve, 1, Unlimited)
                    : Unlimited;
            }
        }

        return Unlimited;
    }
}

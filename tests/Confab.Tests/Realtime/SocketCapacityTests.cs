using Confab.Realtime;
using Confab.Tests.Infrastructure;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Confab.Tests.Realtime;

public sealed class SocketCapacityTests
{
    [Fact]
    public async Task Kestrel_takes_a_long_backlog_and_as_many_connections_as_the_open_file_limit_allows()
    {
        await using var app = new ConfabFactory();
        _ = app.Services;

        var limits = app.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits;
        Assert.Equal(4096, app.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value.Backlog);
        Assert.Equal(SocketCapacity.DefaultMaxConnections(), limits.MaxConcurrentConnections);
        Assert.Equal(SocketCapacity.DefaultMaxConnections(), limits.MaxConcurrentUpgradedConnections);
    }

    [Fact]
    public async Task Configured_limits_win()
    {
        await using var app = new ConfabFactory(new()
        {
            ["Confab:Server:AcceptBacklog"] = "100",
            ["Confab:Server:MaxConnections"] = "500",
            ["Kestrel:Limits:MaxConcurrentConnections"] = "300",
        });
        _ = app.Services;

        var limits = app.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits;
        Assert.Equal(100, app.Services.GetRequiredService<IOptions<SocketTransportOptions>>().Value.Backlog);
        Assert.NotEqual(500, limits.MaxConcurrentConnections); // Kestrel:Limits is Kestrel's to apply
        Assert.Equal(500, limits.MaxConcurrentUpgradedConnections);
    }
}

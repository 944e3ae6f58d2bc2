using System.Collections.Concurrent;
using System.Net.WebSockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Confab.Channels.Internal;

/// <summary>
/// The open sockets of the process, so that application shutdown can close them all with 1001 and clients reconnect
/// (to another node, or to this one once it is back).
/// </summary>
internal sealed class SocketRegistry
{
    private readonly ConcurrentDictionary<SocketConnection, byte> _sockets = new();
    private readonly ILogger _logger;
    private volatile bool _stopping;

    public SocketRegistry(ILoggerFactory loggerFactory, IHostApplicationLifetime? lifetime = null)
    {
        _logger = loggerFactory.CreateLogger("Confab.Channels.Socket");
        lifetime?.ApplicationStopping.Register(static state => ((SocketRegistry)state!).CloseAll(), this);
    }

    public bool IsStopping => _stopping;

    public int Count => _sockets.Count;

    /// <summary>Adds a socket unless shutdown has begun (checked again after adding, so none slips through).</summary>
    public bool TryRegister(SocketConnection connection)
    {
        if (_stopping)
        {
            return false;
        }

        _sockets.TryAdd(connection, 0);
        if (_stopping)
        {
            _sockets.TryRemove(connection, out _);
            return false;
        }

        return true;
    }

    public void Unregister(SocketConnection connection) => _sockets.TryRemove(connection, out _);

    /// <summary>Starts closing every socket; does not wait (the server waits for the requests to end).</summary>
    public void CloseAll()
    {
        _stopping = true;
        ChannelsLog.ShuttingDown(_logger, _sockets.Count);
        foreach (SocketConnection connection in _sockets.Keys)
        {
            connection.RequestClose(WebSocketCloseStatus.EndpointUnavailable, "server shutting down", discardPending: false, ChannelTerminateReason.ServerShutdown);
        }
    }
}

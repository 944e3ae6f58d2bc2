using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.AspNetCore.SignalR;

namespace Confab.Web.Chat;

/// <summary>
/// One circuit's connection to its browser: tells the circuit's components when it drops (false) and comes back (true),
/// and lets them close it (<see cref="Drop"/>) when the browser stops keeping up.
/// </summary>
public sealed class CircuitConnection : CircuitHandler
{
    private HubCallerContext? connection;

    public event Action<bool>? ConnectionChanged;

    public override Task OnConnectionUpAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        connection = CircuitHubFilter.Current;
        ConnectionChanged?.Invoke(true);
        return Task.CompletedTask;
    }

    public override Task OnConnectionDownAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        connection = null;
        ConnectionChanged?.Invoke(false);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Closes the browser's connection; the circuit stays, and blazor.web.js reconnects to it as after any dropped
    /// connection (the page then catches up).
    /// </summary>
    public void Drop() => connection?.Abort();
}

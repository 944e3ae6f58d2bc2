using Microsoft.AspNetCore.Components.Server.Circuits;

namespace Confab.Web.Chat;

/// <summary>Tells the components of one circuit when the browser's connection drops (false) and comes back (true).</summary>
public sealed class CircuitConnection : CircuitHandler
{
    public event Action<bool>? ConnectionChanged;

    public override Task OnConnectionUpAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        ConnectionChanged?.Invoke(true);
        return Task.CompletedTask;
    }

    public override Task OnConnectionDownAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        ConnectionChanged?.Invoke(false);
        return Task.CompletedTask;
    }
}

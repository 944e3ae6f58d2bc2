using Microsoft.AspNetCore.SignalR;

namespace Confab.Web.Chat;

/// <summary>
/// Makes the SignalR connection a circuit is starting or reconnecting on known to its <see cref="CircuitConnection"/>
/// (Blazor runs a circuit's connection-up handlers inside the hub call that starts its components, UpdateRootComponents,
/// or reconnects it, ConnectCircuit), so the circuit can close its own connection. Every other hub call passes straight
/// through.
/// </summary>
internal sealed class CircuitHubFilter : IHubFilter
{
    private static readonly AsyncLocal<HubCallerContext?> Calling = new();

    /// <summary>The connection of the circuit start or reconnect in progress on this flow, if any.</summary>
    public static HubCallerContext? Current => Calling.Value;

    public ValueTask<object?> InvokeMethodAsync(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        if (invocationContext.HubMethodName is not ("StartCircuit" or "UpdateRootComponents" or "ConnectCircuit"))
        {
            return next(invocationContext);
        }

        return WithConnection(invocationContext, next);
    }

    private static async ValueTask<object?> WithConnection(HubInvocationContext invocationContext, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        Calling.Value = invocationContext.Context;
        return await next(invocationContext);
    }
}

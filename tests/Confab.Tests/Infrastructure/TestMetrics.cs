using System.Diagnostics.Metrics;
using Confab.Telemetry;
using Microsoft.Extensions.DependencyInjection;

namespace Confab.Tests.Infrastructure;

/// <summary>Confab's instruments on a meter factory of their own, for code built outside an app.</summary>
public static class TestMetrics
{
    private static readonly ServiceProvider Services = new ServiceCollection().AddMetrics().BuildServiceProvider();

    public static ConfabMetrics Create() => new(Services.GetRequiredService<IMeterFactory>());
}

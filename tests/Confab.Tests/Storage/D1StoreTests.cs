using Confab.Storage;
using Confab.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Confab.Tests.Storage;

/// <summary>
/// The store conformance suite on D1: workerd's D1 under wrangler dev (migrated by <c>wrangler d1 migrations apply</c>),
/// reached through the project's own Worker and <see cref="D1Executor"/> as the server builds it; emptied before each test.
/// </summary>
[Trait("Storage", "D1")]
[Collection(LocalD1.Collection)]
public sealed class D1StoreTests(LocalD1 d1) : StoreConformanceTests
{
    private ServiceProvider? services;

    protected override async Task<ISqlExecutor> OpenFreshAsync()
    {
        await d1.ResetAsync();
        services = D1Services.Build(d1.Url);
        return services.GetRequiredService<ISqlExecutor>();
    }

    public override async Task DisposeAsync()
    {
        if (services is not null)
        {
            await services.DisposeAsync();
        }
    }
}

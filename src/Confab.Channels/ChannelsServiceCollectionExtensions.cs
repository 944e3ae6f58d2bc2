using System.Diagnostics.CodeAnalysis;
using Confab.Channels.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Confab.Channels;

/// <summary>Registers Phoenix Channels services.</summary>
public static class ChannelsServiceCollectionExtensions
{
    /// <summary>
    /// Adds the services of Phoenix sockets: <see cref="ChannelOptions"/> (validated at start-up),
    /// <see cref="TimeProvider.System"/> unless a <see cref="TimeProvider"/> is registered, <see cref="IPubSub"/> as
    /// <see cref="LocalPubSub"/> unless another implementation is registered, <see cref="IPresence"/> as the process-local
    /// <see cref="PresenceTracker"/> (merging diffs over <see cref="ChannelOptions.PresenceDiffInterval"/>) unless another
    /// implementation is registered,
    /// <see cref="ChannelsMetrics"/>, and the registry that closes sockets on application stop.
    /// </summary>
    /// <example>
    /// <code>
    /// builder.Services.AddPhoenixChannels(o => o.MaxChannelsPerSocket = 20).AddPhoenixSocket&lt;UserSocket&gt;();
    /// // ...
    /// app.MapPhoenixSocket&lt;UserSocket&gt;("/socket");   // GET /socket/websocket?vsn=2.0.0
    /// </code>
    /// </example>
    public static IServiceCollection AddPhoenixChannels(this IServiceCollection services, Action<ChannelOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        OptionsBuilder<ChannelOptions> options = services.AddOptions<ChannelOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ChannelOptions>, ChannelOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IPubSub, LocalPubSub>();
        services.TryAddSingleton(provider => new PresenceTracker(
            provider.GetRequiredService<IPubSub>(),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<IOptions<ChannelOptions>>().Value.PresenceDiffInterval,
            provider.GetService<Microsoft.Extensions.Logging.ILoggerFactory>()));
        services.TryAddSingleton<IPresence>(provider => provider.GetRequiredService<PresenceTracker>());
        services.TryAddSingleton<ChannelsMetrics>();
        services.TryAddSingleton<SocketRegistry>();
        services.TryAddSingleton<ChannelsRuntime>();
        return services;
    }

    /// <summary>Registers the application's socket as a singleton (once).</summary>
    public static IServiceCollection AddPhoenixSocket<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TSocket>(this IServiceCollection services)
        where TSocket : PhoenixSocket
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<TSocket>();
        return services;
    }
}

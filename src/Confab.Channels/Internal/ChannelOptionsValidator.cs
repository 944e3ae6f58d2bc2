using Microsoft.Extensions.Options;

namespace Confab.Channels.Internal;

/// <summary>Checks the relations between settings that single setters cannot see.</summary>
internal sealed class ChannelOptionsValidator : IValidateOptions<ChannelOptions>
{
    public ValidateOptionsResult Validate(string? name, ChannelOptions options)
    {
        if (options.MaxPendingRepliesPerSocket > options.OutboundQueueCapacity)
        {
            return ValidateOptionsResult.Fail(
                $"ChannelOptions.MaxPendingRepliesPerSocket ({options.MaxPendingRepliesPerSocket}) must not exceed " +
                $"ChannelOptions.OutboundQueueCapacity ({options.OutboundQueueCapacity}): replies that are due at once " +
                "would overflow the outbound queue and close the socket. Lower the first or raise the second.");
        }

        if (options.CloseTimeout >= options.IdleTimeout)
        {
            return ValidateOptionsResult.Fail(
                $"ChannelOptions.CloseTimeout ({options.CloseTimeout}) must be shorter than ChannelOptions.IdleTimeout " +
                $"({options.IdleTimeout}).");
        }

        foreach (string pattern in options.AllowedOrigins)
        {
            if (!OriginPolicy.IsValidPattern(pattern))
            {
                return ValidateOptionsResult.Fail(OriginPolicy.InvalidPatternMessage(pattern));
            }
        }

        return ValidateOptionsResult.Success;
    }
}

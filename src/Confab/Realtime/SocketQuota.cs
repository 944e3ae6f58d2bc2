using Confab.Accounts;
using Confab.Telemetry;
using Microsoft.Extensions.Options;

namespace Confab.Realtime;

/// <summary>
/// Open sockets per user and per client address, so that one account or one machine cannot hold every connection the
/// process has (<see cref="RealtimeOptions.MaxSocketsPerUser"/>, <see cref="RealtimeOptions.MaxSocketsPerAddress"/>).
/// A socket is counted from its accepted connect until <see cref="UserSocket.Disconnected"/>.
/// </summary>
public sealed class SocketQuota(IOptions<RealtimeOptions> options, IOptions<AccountLimitOptions> addresses, ConfabMetrics metrics)
{
    private readonly Lock gate = new();
    private readonly Dictionary<long, int> perUser = [];
    private readonly Dictionary<string, int> perAddress = new(StringComparer.Ordinal);

    /// <summary>The client address a connect counts against (the trusted proxy's header when configured).</summary>
    public string AddressOf(HttpContext context) => addresses.Value.ClientAddress(context);

    /// <summary>Counts one more socket for the user and the address, or refuses with the reason when either is at its cap.</summary>
    public bool TryOpen(long userId, string address, out string? refusal)
    {
        var limits = options.Value;
        string reason;
        lock (gate)
        {
            if (perUser.GetValueOrDefault(userId) >= limits.MaxSocketsPerUser)
            {
                reason = "user_limit";
                refusal = $"Too many open sockets for this user (at most {limits.MaxSocketsPerUser}): close another tab or device, or wait.";
            }
            else if (perAddress.GetValueOrDefault(address) >= limits.MaxSocketsPerAddress)
            {
                reason = "address_limit";
                refusal = $"Too many open sockets from this address (at most {limits.MaxSocketsPerAddress}).";
            }
            else
            {
                perUser[userId] = perUser.GetValueOrDefault(userId) + 1;
                perAddress[address] = perAddress.GetValueOrDefault(address) + 1;
                refusal = null;
                return true;
            }
        }

        metrics.SocketRefused(reason);
        return false;
    }

    /// <summary>Releases what <see cref="TryOpen"/> counted; entries at zero are removed, so the maps shrink as sockets leave.</summary>
    public void Close(long userId, string address)
    {
        lock (gate)
        {
            Decrement(perUser, userId);
            Decrement(perAddress, address);
        }
    }

    /// <summary>Open sockets counted for a user (tests and diagnostics).</summary>
    public int OpenFor(long userId)
    {
        lock (gate)
        {
            return perUser.GetValueOrDefault(userId);
        }
    }

    private static void Decrement<TKey>(Dictionary<TKey, int> counts, TKey key)
        where TKey : notnull
    {
        if (counts.TryGetValue(key, out var count))
        {
            if (count <= 1)
            {
                counts.Remove(key);
            }
            else
            {
                counts[key] = count - 1;
            }
        }
    }
}

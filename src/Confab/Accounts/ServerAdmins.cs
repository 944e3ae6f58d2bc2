namespace Confab.Accounts;

/// <summary>
/// The server's admins, <c>Confab:Admins</c>: usernames (a list, or one string separated by commas). They may moderate
/// any public or private room (not direct ones) and deactivate users.
/// </summary>
public sealed class ServerAdmins(IConfiguration configuration)
{
    public const string Section = "Confab:Admins";

    private readonly HashSet<string> usernames = new(
        configuration.GetSection(Section).Get<string[]>() is { Length: > 0 } list
            ? list
            : (configuration[Section] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
        StringComparer.OrdinalIgnoreCase);

    public bool Is(string? username) => username is not null && usernames.Contains(username);
}

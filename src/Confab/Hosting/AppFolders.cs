namespace Confab.Hosting;

/// <summary>
/// Where the app's own files (appsettings.json, wwwroot) and the user's data are found: the first beside the binaries, the
/// second in the working directory, so <c>dotnet path/to/Confab.dll</c> serves its pages from any folder and keeps its
/// data where it was started.
/// </summary>
public static class AppFolders
{
    /// <summary>
    /// The content root: the app's folder, unless <c>--contentRoot</c> or <c>ASPNETCORE_CONTENTROOT</c> names another
    /// (null then, and ASP.NET Core reads it from there).
    /// </summary>
    public static string? ContentRoot(string[] args)
    {
        bool given = args.Any(arg => arg.TrimStart('-', '/').StartsWith("contentRoot", StringComparison.OrdinalIgnoreCase))
            || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("ASPNETCORE_CONTENTROOT"))
            || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOTNET_CONTENTROOT"));
        return given ? null : AppContext.BaseDirectory;
    }
}

using System.Globalization;

namespace Confab.Hosting;

public static class ListenAddresses
{
    /// <summary>Where Confab listens when nothing says otherwise: this machine only, on the port Phoenix's guides use.</summary>
    public const string DefaultUrl = "http://localhost:4000";

    /// <summary>
    /// Where Kestrel listens, first of: ASP.NET Core's URLs (<c>--urls</c>, <c>Urls</c>, <c>ASPNETCORE_URLS</c>); the
    /// container platforms' <c>PORT</c> (all interfaces on that port; it wins over <c>ASPNETCORE_HTTP_PORTS</c>, which the
    /// official .NET images set to 8080 whatever port the platform gives); <c>ASPNETCORE_HTTP_PORTS</c> /
    /// <c>HTTPS_PORTS</c> or <c>Kestrel:Endpoints</c>; else <see cref="DefaultUrl"/>.
    /// </summary>
    public static WebApplicationBuilder UseListenAddresses(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        int? port = null;
        if (configuration["PORT"] is { Length: > 0 } value)
        {
            port = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed) && parsed is >= 1 and <= 65535
                ? parsed
                : throw new SettingException($"PORT is '{value}'; it must be a TCP port number (1-65535).");
        }

        if (IsSet(configuration["urls"]))
        {
            return builder;
        }

        if (port is not null)
        {
            builder.WebHost.UseUrls($"http://*:{port}");
        }
        else if (!IsSet(configuration["http_ports"]) && !IsSet(configuration["https_ports"]) && !configuration.GetSection("Kestrel:Endpoints").Exists())
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        return builder;
    }

    private static bool IsSet(string? value) => !string.IsNullOrWhiteSpace(value);
}

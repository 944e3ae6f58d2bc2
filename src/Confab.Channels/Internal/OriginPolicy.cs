using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace Confab.Channels.Internal;

/// <summary>
/// Phoenix's <c>check_origin</c> for the upgrade request: no <c>Origin</c> header is
/// allowed (non-browser clients); otherwise the origin's host must equal <see cref="ChannelOptions.Host"/> (or the
/// request's own host when none is configured), or match one of <see cref="ChannelOptions.AllowedOrigins"/>.
/// </summary>
internal sealed class OriginPolicy
{
    private readonly bool _enabled;
    private readonly string? _host;
    private readonly OriginPattern[] _patterns;

    public OriginPolicy(ChannelOptions options)
    {
        _enabled = options.CheckOrigin;
        _host = options.Host;
        _patterns = [.. options.AllowedOrigins.Select(pattern => OriginPattern.TryParse(pattern, out OriginPattern? parsed)
            ? parsed!
            : throw new InvalidOperationException(InvalidPatternMessage(pattern)))];
    }

    public static bool IsValidPattern(string pattern) => OriginPattern.TryParse(pattern, out _);

    public static string InvalidPatternMessage(string pattern)
        => $"ChannelOptions.AllowedOrigins contains '{pattern}', which is not an origin such as \"https://example.com\", \"//example.com:8443\" or \"//*.example.com\".";

    /// <summary>True when the request may go on to connect.</summary>
    public bool IsAllowed(HttpRequest request, out string? origin)
    {
        origin = request.Headers[HeaderNames.Origin].FirstOrDefault();
        if (!_enabled || origin is null)
        {
            return true;
        }

        if (!Uri.TryCreate(origin, UriKind.Absolute, out Uri? uri) || uri.Host.Length == 0)
        {
            return false; // "null" (sandboxed frames, file: pages) and garbage
        }

        if (_patterns.Length > 0)
        {
            return _patterns.Any(pattern => pattern.Matches(uri));
        }

        string expected = _host ?? request.Host.Host;
        return string.Equals(uri.Host, expected, StringComparison.OrdinalIgnoreCase);
    }

    private sealed record OriginPattern(string? Scheme, string Host, bool AnySubdomain, int? Port)
    {
        public static bool TryParse(string? pattern, out OriginPattern? parsed)
        {
            parsed = null;
            if (string.IsNullOrWhiteSpace(pattern))
            {
                return false;
            }

            // "//host" has no scheme: give it one to parse, and remember that any scheme matches.
            bool schemeless = pattern.StartsWith("//", StringComparison.Ordinal);
            bool wildcard = pattern.Contains("//*.", StringComparison.Ordinal);
            string parseable = (schemeless ? "any:" + pattern : pattern).Replace("//*.", "//", StringComparison.Ordinal);
            if (!Uri.TryCreate(parseable, UriKind.Absolute, out Uri? uri) || uri.Host.Length == 0 || uri.PathAndQuery is not ("/" or "")
                || pattern.EndsWith('/'))
            {
                return false;
            }

            bool explicitPort = !uri.IsDefaultPort || HasPort(pattern);
            parsed = new OriginPattern(schemeless ? null : uri.Scheme, uri.Host, wildcard, explicitPort ? uri.Port : null);
            return true;
        }

        public bool Matches(Uri origin)
            => (Scheme is null || string.Equals(Scheme, origin.Scheme, StringComparison.OrdinalIgnoreCase))
                && (Port is null || Port == origin.Port)
                && (string.Equals(Host, origin.Host, StringComparison.OrdinalIgnoreCase)
                    || (AnySubdomain && origin.Host.EndsWith("." + Host, StringComparison.OrdinalIgnoreCase)));

        private static bool HasPort(string pattern)
        {
            int hostStart = pattern.IndexOf("//", StringComparison.Ordinal) + 2;
            return pattern.IndexOf(':', hostStart) > 0;
        }
    }
}

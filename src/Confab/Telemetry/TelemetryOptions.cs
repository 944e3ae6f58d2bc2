using System.ComponentModel.DataAnnotations;

namespace Confab.Telemetry;

/// <summary>Where and to whom <c>/metrics</c> answers. Bound from <c>Confab:Telemetry</c>.</summary>
public sealed class TelemetryOptions
{
    public const string Section = "Confab:Telemetry";

    /// <summary>Serve Prometheus metrics at <c>/metrics</c>. Default true.</summary>
    public bool MetricsEnabled { get; set; } = true;

    /// <summary>
    /// When set, <c>/metrics</c> answers only on this port (the server also listens on it, on all interfaces), so the
    /// public port never shows it: expose the public port to the internet and this one to your scraper only.
    /// </summary>
    [Range(1, 65535, ErrorMessage = "Confab:Telemetry:MetricsPort must be a TCP port (1-65535).")]
    public int? MetricsPort { get; set; }

    /// <summary>When set, <c>/metrics</c> requires <c>Authorization: Bearer &lt;token&gt;</c> (Prometheus: <c>authorization.credentials</c>).</summary>
    public string? MetricsToken { get; set; }
}

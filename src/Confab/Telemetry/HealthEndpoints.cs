using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Confab.Telemetry;

/// <summary>
/// <c>/healthz</c> (live: the process answers) and <c>/readyz</c> (ready: every check tagged <c>ready</c> passes: the
/// database's, and in a cluster Redis's), the latter as JSON that names this node.
/// </summary>
public static class HealthEndpoints
{
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder endpoints)
    {
        // Live: the process answers. Ready: the database answers too (and, in a cluster, says how Redis is), as JSON
        // that names this node: {"status": "Healthy", "node": "web-1-4242", "checks": {"database": "Healthy"}}.
        var node = endpoints.ServiceProvider.GetRequiredService<Cluster.NodeIdentity>().Id;
        endpoints.MapHealthChecks("/healthz", new() { Predicate = _ => false });
        endpoints.MapHealthChecks("/readyz", new()
        {
            Predicate = check => check.Tags.Contains("ready"),
            ResponseWriter = (context, report) => WriteReadinessAsync(context, report, node),
        });
        return endpoints;
    }

    private static Task WriteReadinessAsync(HttpContext context, HealthReport report, string node)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        var readiness = new Api.Readiness(
            report.Status.ToString(),
            node,
            report.Entries.ToDictionary(entry => entry.Key, entry => new Api.ReadinessCheck(entry.Value.Status.ToString(), entry.Value.Description)));
        return System.Text.Json.JsonSerializer.SerializeAsync(context.Response.Body, readiness, Api.ConfabJsonContext.Default.Readiness, context.RequestAborted);
    }
}

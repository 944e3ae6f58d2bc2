using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Confab.Channels;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Confab.Telemetry;

public static class TelemetrySetup
{
    /// <summary>
    /// Metrics (the <c>Confab</c> meter, ASP.NET Core, Kestrel, the .NET runtime) for Prometheus at <c>/metrics</c>; when
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, OTLP export of both and traces of HTTP requests, joins and sends; JSON logs
    /// outside Development unless a terminal reads them.
    /// </summary>
    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<ConfabMetrics>();
        services.Configure<ChannelOptions>(options => options.MeterName = ConfabMetrics.MeterName);

        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("confab"))
            .WithMetrics(metrics => metrics
                .AddMeter(
                    ConfabMetrics.MeterName,
                    "Microsoft.AspNetCore.Hosting",
                    "Microsoft.AspNetCore.Server.Kestrel",
                    "Microsoft.AspNetCore.Http.Connections",
                    "Microsoft.AspNetCore.Components.Server.Circuits",
                    "System.Runtime")
                .AddPrometheusExporter(options => options.ScrapeResponseCacheDurationMilliseconds = 0));

        // Traces only when they go somewhere: a recorded span is an Activity per request, and a socket's request lasts as long
        // as the socket (spans of its joins and sends are recorded on their own).
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            telemetry
                .WithTracing(tracing => tracing
                    .AddSource(ConfabMetrics.MeterName)
                    .AddAspNetCoreInstrumentation(options => options.Filter = context =>
                        !context.Request.Path.StartsWithSegments("/metrics") && !context.Request.Path.StartsWithSegments("/healthz")
                        && !context.Request.Path.StartsWithSegments("/socket")))
                .UseOtlpExporter();
        }

        // Outside Development, JSON lines for log collectors; a person at a terminal gets readable lines (the database's path
        // and the listening address first). Logging:Console:FormatterName chooses either way.
        if (!builder.Environment.IsDevelopment())
        {
            builder.Logging.ClearProviders();
            if (builder.Configuration["Logging:Console:FormatterName"] is not null)
            {
                builder.Logging.AddConsole();
            }
            else if (Console.IsOutputRedirected)
            {
                builder.Logging.AddJsonConsole(options => options.TimestampFormat = "O");
            }
            else
            {
                builder.Logging.AddSimpleConsole(options => options.TimestampFormat = "HH:mm:ss ");
            }
        }

        if (builder.Configuration.GetValue<int?>($"{TelemetryOptions.Section}:MetricsPort") is { } metricsPort)
        {
            builder.ListenAlsoOn(metricsPort);
        }

        return builder;
    }

    /// <summary><c>/metrics</c>, on its own port and behind a token when configured.</summary>
    public static WebApplication MapTelemetry(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<TelemetryOptions>>().Value;
        if (!options.MetricsEnabled)
        {
            return app;
        }

        app.MapPrometheusScrapingEndpoint("/metrics");
        var expected = options.MetricsToken is { Length: > 0 } token ? SHA256.HashData(Encoding.UTF8.GetBytes("Bearer " + token)) : null;
        app.UseWhen(context => context.Request.Path.StartsWithSegments("/metrics"), metrics => metrics.Use(async (context, next) =>
        {
            var wrongPort = options.MetricsPort is { } port && context.Connection.LocalPort != port;
            if (wrongPort)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            if (expected is not null)
            {
                var given = SHA256.HashData(Encoding.UTF8.GetBytes(context.Request.Headers.Authorization.ToString()));
                if (!CryptographicOperations.FixedTimeEquals(given, expected))
                {
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    return;
                }
            }

            await next(context);
        }));
        return app;
    }

    /// <summary>Adds a port to whatever the server listens on already (PORT, URLs, HTTP_PORTS or the default).</summary>
    private static void ListenAlsoOn(this WebApplicationBuilder builder, int port)
    {
        var configuration = builder.Configuration;
        var urls = configuration["urls"]
            ?? (configuration["http_ports"] is { Length: > 0 } ports
                ? string.Join(';', ports.Split(';', StringSplitOptions.RemoveEmptyEntries).Select(p => $"http://*:{p}"))
                : "http://localhost:5000");
        builder.WebHost.UseUrls($"{urls};http://*:{port.ToString(CultureInfo.InvariantCulture)}");
    }
}

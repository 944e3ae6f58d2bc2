using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Confab.Hosting;

/// <summary>A setting that keeps the server from starting. Its message names the setting, its value and what is allowed.</summary>
public sealed class SettingException(string message) : Exception(message);

/// <summary>
/// Bad settings stop the server with one line each on stderr, naming the setting, its value and what it may be, and exit
/// code <see cref="ExitCode"/>: no stack trace, since nothing is wrong with the code.
/// </summary>
public static partial class StartupSettings
{
    /// <summary>sysexits' EX_CONFIG: the configuration is wrong.</summary>
    public const int ExitCode = 78;

    /// <summary>
    /// Binds and validates every option checked at start-up (<c>ValidateOnStart</c>) before anything starts, so a bad
    /// setting fails here, ahead of the host, which would log the failure with its stack trace.
    /// </summary>
    public static WebApplication CheckSettings(this WebApplication app)
    {
        app.Services.GetService<IStartupValidator>()?.Validate();
        return app;
    }

    /// <summary>Runs the server, or explains a bad setting and returns <see cref="ExitCode"/>.</summary>
    public static int Run(IConfiguration configuration, Action run)
    {
        try
        {
            run();
            return 0;
        }
        catch (Exception e) when (Describe(e, configuration) is { } lines)
        {
            foreach (var line in lines)
            {
                Console.Error.WriteLine($"Confab cannot start: {line}");
            }

            return ExitCode;
        }
    }

    /// <summary>One line per bad setting when <paramref name="exception"/> is about settings; otherwise null.</summary>
    internal static IReadOnlyList<string>? Describe(Exception exception, IConfiguration? configuration = null)
    {
        switch (exception)
        {
            case SettingException:
                return [exception.Message];
            case OptionsValidationException validation:
                return [.. validation.Failures.Select(failure => WithValue(Unwrap(failure), configuration)).Distinct()];
            case AggregateException aggregate:
                var lines = new List<string>();
                foreach (var inner in aggregate.Flatten().InnerExceptions)
                {
                    if (Describe(inner, configuration) is not { } described)
                    {
                        return null;
                    }

                    lines.AddRange(described);
                }

                return lines.Count > 0 ? [.. lines.Distinct()] : null;
            case InvalidOperationException when ConversionFailure().Match(exception.Message) is { Success: true } match:
                return [$"{match.Groups["key"].Value} is '{match.Groups["value"].Value}'; it must be {Allowed(match.Groups["type"].Value)}."];
            case IOException { InnerException: Microsoft.AspNetCore.Connections.AddressInUseException }:
                return [$"{exception.Message} Stop what listens there, or set ASPNETCORE_URLS, --urls or PORT."];
            default:
                return null;
        }
    }

    /// <summary>What a value of the named type looks like, for the binder's conversion failures.</summary>
    private static string Allowed(string typeName)
    {
        var type = Type.GetType(typeName)
            ?? AppDomain.CurrentDomain.GetAssemblies().Select(assembly => assembly.GetType(typeName)).FirstOrDefault(found => found is not null);
        type = type is null ? null : Nullable.GetUnderlyingType(type) ?? type;
        return type switch
        {
            { IsEnum: true } => $"one of {string.Join(", ", Enum.GetNames(type))}",
            _ when type == typeof(TimeSpan) => "a duration: hh:mm:ss (00:00:10 is ten seconds) or d.hh:mm:ss (1.00:00:00 is a day)",
            _ when type == typeof(bool) => "true or false",
            _ when type == typeof(int) || type == typeof(long) => "a whole number",
            _ when type == typeof(double) || type == typeof(decimal) => "a number",
            _ when type == typeof(Uri) => "a URL",
            _ => $"a {type?.Name ?? typeName}",
        };
    }

    /// <summary>The message inside a data-annotations failure ("DataAnnotation validation failed for ... with the error: '...'.").</summary>
    private static string Unwrap(string failure) =>
        DataAnnotationFailure().Match(failure) is { Success: true } match ? match.Groups["message"].Value : failure;

    /// <summary>
    /// A message that starts with a setting's key gets the setting's value when the message does not show it; never for
    /// a setting whose name says it is secret.
    /// </summary>
    private static string WithValue(string message, IConfiguration? configuration)
    {
        if (configuration is null || SettingKey().Match(message) is not { Success: true } key || SecretName().IsMatch(key.Value)
            || configuration[key.Value] is not { } value || message.Contains($"'{value}'", StringComparison.Ordinal))
        {
            return message;
        }

        return $"{message.TrimEnd('.')} (it is '{value}').";
    }

    [GeneratedRegex(@"^Failed to convert configuration value '(?<value>.*)' at '(?<key>[^']*)' to type '(?<type>[^']*)'\.", RegexOptions.Singleline)]
    private static partial Regex ConversionFailure();

    [GeneratedRegex(@"with the error: '(?<message>.*)'\.$", RegexOptions.Singleline)]
    private static partial Regex DataAnnotationFailure();

    [GeneratedRegex(@"^[A-Za-z0-9_]+(:[A-Za-z0-9_]+)+")]
    private static partial Regex SettingKey();

    [GeneratedRegex("key|token|secret|password", RegexOptions.IgnoreCase)]
    private static partial Regex SecretName();
}

using System.Globalization;

namespace Confab.Storage;

/// <summary>Timestamps are stored as ISO 8601 UTC text with milliseconds, e.g. <c>2026-11-28T10:00:00.123Z</c>.</summary>
public static class DbTime
{
    private const string Format = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    public static string ToText(DateTimeOffset time) => time.UtcDateTime.ToString(Format, CultureInfo.InvariantCulture);

    /// <summary>The time as it reads back from the database (UTC, whole milliseconds).</summary>
    public static DateTime Stored(DateTimeOffset time) => Parse(ToText(time));

    public static DateTime Parse(string text) =>
        DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
}

using System.Globalization;

namespace Confab.Web.Chat;

/// <summary>
/// Message times as one reader sees them: in the reader's zone, "14:05" today and "Dec 6, 14:05" before. Taken once per
/// render, so a message's time costs two comparisons, and its text is only written when its markup is built.
/// </summary>
public readonly record struct MessageClock(TimeZoneInfo Zone, DateTime TodayStartUtc, DateTime TomorrowStartUtc)
{
    public static MessageClock At(DateTimeOffset now, TimeZoneInfo zone)
    {
        var today = TimeZoneInfo.ConvertTimeFromUtc(now.UtcDateTime, zone).Date;
        return new MessageClock(zone, ToUtc(today, zone), ToUtc(today.AddDays(1), zone));
    }

    public bool IsToday(DateTime utc) => utc >= TodayStartUtc && utc < TomorrowStartUtc;

    public string Format(DateTime utc) =>
        TimeZoneInfo.ConvertTimeFromUtc(utc, Zone).ToString(IsToday(utc) ? "HH:mm" : "MMM d, HH:mm", CultureInfo.InvariantCulture);

    // Midnight that does not exist in the zone (a DST jump at 00:00) is taken an hour later.
    private static DateTime ToUtc(DateTime local, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTimeToUtc(zone.IsInvalidTime(local) ? local.AddHours(1) : local, zone);
}

namespace Confab.Web.Chat;

/// <summary>A user's avatar: their initial on one of twelve hues, by id.</summary>
public static class Avatar
{
    public static string Initial(string username) => username.Length > 0 ? char.ToUpperInvariant(username[0]).ToString() : "?";

    /// <summary>The class suffix of the user's hue (<c>hue-0</c> to <c>hue-11</c> in app.css: the CSP allows no inline styles).</summary>
    public static long Hue(long userId) => userId * 47 % 360 / 30;
}

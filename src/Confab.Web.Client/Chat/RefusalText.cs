namespace Confab.Web.Chat;

/// <summary>Why a post or a change was not made, as a sentence for the page (the core's reasons read like Phoenix's).</summary>
public static class RefusalText
{
    public const string NotSaved = "That could not be saved. Please try again.";

    public const string NotSent = "Your message could not be sent. Please try again.";

    /// <summary>A reason as a sentence: "message not found" becomes "Message not found.".</summary>
    public static string Sentence(string text) =>
        text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..] + (text.EndsWith('.') ? "" : ".");

    /// <summary>A rate limit's reason with when to try again.</summary>
    public static string RateLimited(string reason, TimeSpan retryAfter) =>
        $"{reason} Try again in {Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))} s.";
}

using Confab.Messages;

namespace Confab.Web.Chat;

/// <summary>Why a post or a change was not made, as a sentence for the page (the core's reasons read like Phoenix's).</summary>
public static class RefusalText
{
    public const string NotSaved = "That could not be saved. Please try again.";

    public static string Describe(ChangeResult result) => result.Outcome switch
    {
        ChangeOutcome.RateLimited => $"{MessageActions.RateLimitedReason} Try again in {Math.Max(1, (int)Math.Ceiling(result.RetryAfter.TotalSeconds))} s.",
        ChangeOutcome.Invalid => Sentence(result.Errors!.Values.First()[0]),
        _ => Sentence(result.Reason ?? NotSaved),
    };

    private static string Sentence(string text) =>
        text.Length == 0 ? text : char.ToUpperInvariant(text[0]) + text[1..] + (text.EndsWith('.') ? "" : ".");
}

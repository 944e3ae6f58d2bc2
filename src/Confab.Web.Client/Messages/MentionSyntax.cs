using System.Text.RegularExpressions;

namespace Confab.Messages;

/// <summary>How a mention is written: <c>@username</c> (a-z, 0-9, _ and -, 3 to 32) after an @ that does not continue a word or an address.</summary>
public static partial class MentionSyntax
{
    /// <summary>Mentions every member, from an owner or admin.</summary>
    public const string Everyone = "room";

    /// <summary>Each match is one mention; group 1 is the name.</summary>
    [GeneratedRegex(@"(?<![\p{L}\p{N}_.@-])@([A-Za-z0-9_-]{3,32})(?![A-Za-z0-9_-])")]
    public static partial Regex Pattern();
}

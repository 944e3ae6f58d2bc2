using System.Globalization;
using System.Text;

namespace Confab.Messages;

/// <summary>
/// What a reaction may be: one emoji, as one grapheme cluster, with its skin tones, variation selectors, keycaps, tags
/// (subdivision flags) and zero-width-joiner sequences (👍, 👍🏽, ❤️, 1️⃣, 🇫🇷, 👩‍💻, 🏴󠁧󠁢󠁳󠁣󠁴󠁿); not text, digits or symbols that only look alike.
/// </summary>
public static class Emoji
{
    /// <summary>Longer than any emoji sequence in use (the longest are family ZWJ sequences of about 25 UTF-16 units).</summary>
    public const int MaxLength = 64;

    private const int ZeroWidthJoiner = 0x200D;
    private const int VariationSelector16 = 0xFE0F;
    private const int CombiningKeycap = 0x20E3;

    public static bool IsSingle(string text)
    {
        if (text.Length is 0 or > MaxLength || text.Normalize(NormalizationForm.FormC) != text)
        {
            return false;
        }

        // One user-perceived character: .NET segments by the Unicode extended grapheme cluster rules.
        if (StringInfo.GetNextTextElementLength(text) != text.Length)
        {
            return false;
        }

        var runes = new List<Rune>(text.EnumerateRunes());
        if (runes.Count >= 2 && runes[^1].Value == CombiningKeycap)
        {
            // A keycap: 0-9, # or *, optionally FE0F, then U+20E3.
            var key = runes[0].Value;
            return (key is >= '0' and <= '9' or '#' or '*') && (runes.Count == 2 || (runes.Count == 3 && runes[1].Value == VariationSelector16));
        }

        if (IsRegionalIndicator(runes[0].Value))
        {
            return runes.Count == 2 && IsRegionalIndicator(runes[1].Value);
        }

        var expectEmoji = true;
        var sawPictograph = false;
        foreach (var rune in runes)
        {
            var value = rune.Value;
            if (expectEmoji)
            {
                if (!IsPictograph(value) || IsSkinTone(value))
                {
                    return false;
                }

                sawPictograph = true;
                expectEmoji = false;
            }
            else if (value == ZeroWidthJoiner)
            {
                expectEmoji = true;
            }
            else if (!(value == VariationSelector16 || IsSkinTone(value) || IsTag(value)))
            {
                return false;
            }
        }

        // A text-default symbol (©, ™, ↔, ☺...) is an emoji only with its emoji presentation selector.
        return sawPictograph && !expectEmoji && (!IsTextDefault(runes[0].Value) || runes.Count > 1);
    }

    private static bool IsRegionalIndicator(int value) => value is >= 0x1F1E6 and <= 0x1F1FF;

    private static bool IsSkinTone(int value) => value is >= 0x1F3FB and <= 0x1F3FF;

    private static bool IsTag(int value) => value is >= 0xE0020 and <= 0xE007F;

    // Extended_Pictographic, approximately: the blocks emoji are drawn from.
    private static bool IsPictograph(int value) =>
        value is >= 0x1F000 and <= 0x1FAFF
        || value is >= 0x2600 and <= 0x27BF
        || value is >= 0x2300 and <= 0x23FF
        || value is >= 0x2B00 and <= 0x2BFF
        || value is >= 0x2190 and <= 0x21FF
        || value is >= 0x25A0 and <= 0x25FF
        || value is 0x00A9 or 0x00AE or 0x203C or 0x2049 or 0x2122 or 0x2139 or 0x24C2 or 0x3030 or 0x303D or 0x3297 or 0x3299;

    // Symbols shown as text unless followed by U+FE0F.
    private static bool IsTextDefault(int value) =>
        value is < 0x2300 or (>= 0x2500 and <= 0x25FF) or 0x2B05 or 0x2B06 or 0x2B07 or 0x3030 or 0x303D or 0x3297 or 0x3299
        || value is >= 0x2600 and <= 0x26FF && !IsEmojiDefaultInMiscSymbols(value);

    // The few of U+2600-26FF that are emoji without a selector (☔ ☕ ♈-♓ ♿ ⚓ ⚡ ⚪ ⚫ ⚽ ⚾ ⛄ ⛅ ⛎ ⛔ ⛪ ⛲ ⛳ ⛵ ⛺ ⛽).
    private static bool IsEmojiDefaultInMiscSymbols(int value) =>
        value is 0x2614 or 0x2615 or (>= 0x2648 and <= 0x2653) or 0x267F or 0x2693 or 0x26A1 or 0x26AA or 0x26AB or 0x26BD or 0x26BE
            or 0x26C4 or 0x26C5 or 0x26CE or 0x26D4 or 0x26EA or 0x26F2 or 0x26F3 or 0x26F5 or 0x26FA or 0x26FD;
}

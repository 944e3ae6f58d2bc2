using Confab.Messages;

namespace Confab.Tests.Messages;

public sealed class EmojiTests
{
    [Theory]
    [InlineData("👍")]
    [InlineData("👍🏽")]
    [InlineData("❤️")]
    [InlineData("☕")]
    [InlineData("1️⃣")]
    [InlineData("#️⃣")]
    [InlineData("🇫🇷")]
    [InlineData("👩‍💻")]
    [InlineData("👨‍👩‍👧‍👦")]
    [InlineData("🏳️‍🌈")]
    [InlineData("🏴󠁧󠁢󠁳󠁣󠁴󠁿")]
    [InlineData("🧑🏿‍🤝‍🧑🏻")]
    public void A_single_emoji_is_accepted(string emoji) => Assert.True(Emoji.IsSingle(emoji), emoji);

    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("1")]
    [InlineData("©")]
    [InlineData("👍👍")]
    [InlineData("👍 ")]
    [InlineData(" 👍")]
    [InlineData("👍a")]
    [InlineData("🇫")]
    [InlineData("🏽")]
    [InlineData("\u200D")]
    [InlineData("👩\u200D")]
    [InlineData("<b>")]
    [InlineData(":)")]
    public void Anything_else_is_refused(string text) => Assert.False(Emoji.IsSingle(text), text);
}

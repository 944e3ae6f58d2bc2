using System.Text;

namespace Confab.Messages;

/// <summary>
/// What a message's text becomes before it is stored: control characters other than newline and tab removed,
/// then trimmed. It stays plain text: nothing here or anywhere downstream interprets it as HTML.
/// </summary>
public static class MessageContent
{
    public static string Normalize(string content)
    {
        var builder = default(StringBuilder);
        for (var i = 0; i < content.Length; i++)
        {
            var c = content[i];
            var keep = !char.IsControl(c) || c is '\n' or '\t';
            if (!keep && builder is null)
            {
                builder = new StringBuilder(content.Length).Append(content, 0, i);
            }
            else if (keep)
            {
                builder?.Append(c);
            }
        }

        return (builder?.ToString() ?? content).Trim();
    }

    /// <summary>Length in Unicode characters (code points), so an emoji counts once.</summary>
    public static int Length(string content)
    {
        var length = 0;
        foreach (var _ in content.EnumerateRunes())
        {
            length++;
        }

        return length;
    }
}

using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Confab.Messages;
using Microsoft.AspNetCore.Components;

namespace Confab.Web.Chat;

/// <summary>
/// A message as the room page lists it while nobody is acting on it: its avatar, name, time, the message it replies to,
/// its text (<see cref="MessageMarkdown"/>), its reactions and its action buttons, as one HTML string, built once per
/// message state and reader kind and shared by every page that shows it. One markup frame per message keeps an open page
/// small: as components, a message cost each page two render trees of about eighty frames, and its icons two more each.
/// </summary>
/// <remarks>
/// The buttons carry <c>data-action</c> (and a reaction its <c>data-emoji</c>); room.js hands a click on one to the
/// page (<c>RoomPage.Act</c>), which shows the message as a <see cref="MessageItem"/> while someone acts on it. What
/// differs between readers is part of the key: the reader's zone and whether the message is from their today (its time
/// as they see it), whether the message is the reader's (edit and delete), and which reactions are the reader's.
/// Readers of one room mostly share all of it. The page wraps the markup in an element keyed by <see cref="Key"/>: two
/// render-tree frames per message.
/// </remarks>
public sealed class MessageView
{
    private const int MaxVariants = 8;

    private static readonly ConditionalWeakTable<Message, MessageView> Views = new();

    private readonly Message message;
    private readonly Lock gate = new();
    private readonly List<(TimeZoneInfo Zone, bool Today, bool Mine, bool Mentioned, ulong Pressed, MarkupString Markup)> variants = [];

    private MessageView(Message message)
    {
        this.message = message;
        Key = message.Seq;
    }

    /// <summary>The message's seq, boxed once for every page: the key of its element in the list.</summary>
    public object Key { get; }

    /// <summary>The view of this state of a message: the same for every page holding the same instance.</summary>
    public static MessageView Of(Message message) => Views.GetValue(message, static m => new MessageView(m));

    /// <summary>The message's markup (its whole <c>article</c>) for a reader: times by their clock; names for the reactions' tooltips.</summary>
    public MarkupString Markup(MessageClock clock, long readerId, Func<long, string> nameOf)
    {
        var mine = message.User.Id == readerId;
        var mentioned = message.Mentions.Contains(readerId);
        var pressed = PressedBy(readerId);
        var today = clock.IsToday(message.InsertedAt);
        lock (gate)
        {
            foreach (var variant in variants)
            {
                if (variant.Mine == mine && variant.Mentioned == mentioned && variant.Pressed == pressed && variant.Today == today && ReferenceEquals(variant.Zone, clock.Zone))
                {
                    return variant.Markup;
                }
            }
        }

        var markup = new MarkupString(Build(clock.Format(message.InsertedAt), mine, mentioned, readerId, nameOf));
        lock (gate)
        {
            if (variants.Count < MaxVariants)
            {
                variants.Add((clock.Zone, today, mine, mentioned, pressed, markup));
            }
        }

        return markup;
    }

    // Which reactions (by position, at most 20 per message) include the reader's.
    private ulong PressedBy(long readerId)
    {
        ulong pressed = 0;
        for (var i = 0; i < message.Reactions.Count && i < 64; i++)
        {
            if (message.Reactions[i].UserIds.Contains(readerId))
            {
                pressed |= 1UL << i;
            }
        }

        return pressed;
    }

    private string Build(string time, bool mine, bool mentioned, long readerId, Func<long, string> nameOf)
    {
        var html = new StringBuilder(1024);
        html.Append(mentioned ? "<article class=\"message mentioned\" data-seq=\"" : "<article class=\"message\" data-seq=\"").Append(message.Seq).Append("\" tabindex=\"0\"><span class=\"avatar hue-").Append(Avatar.Hue(message.User.Id)).Append("\" aria-hidden=\"true\">")
            .AppendEscaped(Avatar.Initial(message.User.Username)).Append("</span><div class=\"message-body\"><header class=\"message-meta\">")
            .Append("<span class=\"author\">").AppendEscaped(message.User.Username).Append("</span> <time datetime=\"")
            .Append(message.InsertedAt.ToString("O", CultureInfo.InvariantCulture)).Append("\">").AppendEscaped(time).Append("</time>");
        if (message.EditedAt is not null && !message.Deleted)
        {
            html.Append(" <span class=\"edited\">(edited)</span>");
        }

        html.Append("</header>");
        if (message.ReplyTo is { } original)
        {
            var gone = original.Excerpt.Length == 0;
            html.Append("<button type=\"button\" class=\"reply-quote\" title=\"Show the original message\" data-action=\"original\">")
                .Append(Icons.ReplySvg).Append("<span class=\"reply-quote-author\">").AppendEscaped(original.User.Username)
                .Append("</span> <span class=\"reply-quote-text").Append(gone ? " deleted" : "").Append("\">")
                .AppendEscaped(gone ? "message deleted" : MessageMarkdown.PlainText(original.Excerpt)).Append("</span></button>");
        }

        if (message.Deleted)
        {
            html.Append("<p class=\"content deleted\">message deleted</p></div></article>");
            return html.ToString();
        }

        html.Append("<div class=\"content\">").Append(MessageMarkdown.Html(message).Value).Append("</div>");
        if (message.Reactions.Count > 0)
        {
            html.Append("<div class=\"reactions\" role=\"group\" aria-label=\"Reactions\">");
            foreach (var reaction in message.Reactions)
            {
                html.Append("<button type=\"button\" class=\"reaction\" aria-pressed=\"").Append(reaction.UserIds.Contains(readerId) ? "true" : "false")
                    .Append("\" title=\"").AppendEscaped(string.Join(", ", reaction.UserIds.Select(nameOf)))
                    .Append("\" data-action=\"toggle\" data-emoji=\"").AppendEscaped(reaction.Emoji).Append("\"><span class=\"reaction-emoji\">")
                    .AppendEscaped(reaction.Emoji).Append("</span> <span class=\"reaction-count\">").Append(reaction.Count).Append("</span></button>");
            }

            html.Append("</div>");
        }

        html.Append(mine ? OwnActions : OthersActions).Append("</div></article>");
        return html.ToString();
    }

    private const string ActionsOpen = """<div class="message-actions" role="group" aria-label="Message actions">"""
        + """<button type="button" class="icon-button" title="Add reaction" aria-expanded="false" data-action="react">""" + Icons.ReactSvg
        + """<span class="visually-hidden">Add reaction</span></button><button type="button" class="icon-button" title="Reply" data-action="reply">"""
        + Icons.ReplySvg + """<span class="visually-hidden">Reply</span></button>""";

    private const string OthersActions = ActionsOpen + "</div>";

    private const string OwnActions = ActionsOpen
        + """<button type="button" class="icon-button" title="Edit" data-action="edit">""" + Icons.EditSvg + """<span class="visually-hidden">Edit</span></button>"""
        + """<button type="button" class="icon-button" title="Delete" data-action="delete">""" + Icons.DeleteSvg + """<span class="visually-hidden">Delete</span></button></div>""";
}

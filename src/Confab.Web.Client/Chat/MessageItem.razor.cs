using Confab.Messages;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.JSInterop;

namespace Confab.Web.Chat;

/// <summary>
/// A message someone is acting on: the room page lists every other message as shared markup (<see cref="MessageView"/>)
/// and shows this one, with the same look, while its picker, editor, delete confirmation or a refusal is open. It starts
/// with what the reader asked for (<see cref="Intent"/>): react from a small picker, toggle a reaction, show the original
/// of a reply, and on one's own, edit in place (Enter saves, Escape cancels) and delete once confirmed. Changes go
/// through the page's <see cref="IRoomLink"/>, like every transport's; a refusal shows under the message. Once nothing is
/// open any more it hands the message back (<see cref="OnIdle"/>) with where focus belongs.
/// </summary>
public sealed partial class MessageItem
{
    /// <summary>The picker's choices.</summary>
    public static readonly IReadOnlyList<string> CommonEmoji = ["👍", "❤️", "😂", "🎉", "😮", "😢", "🙏", "👀"];

    private bool pickerOpen;
    private bool editing;
    private string editDraft = "";
    private bool confirmingDelete;
    private string? error;
    private Focus focus;
    private string? focusEmoji;
    private ElementReference article;
    private ElementReference editInput;
    private ElementReference reactButton;
    private ElementReference picker;
    private ElementReference cancelDelete;

    private enum Focus
    {
        None,
        Article,
        Editor,
        ReactButton,
        Picker,
        CancelDelete,
        Reaction,
    }

    [Parameter, EditorRequired]
    public Message Message { get; set; } = default!;

    /// <summary>The page's way to the room, where changes go.</summary>
    [Parameter, EditorRequired]
    public IRoomLink Link { get; set; } = default!;

    /// <summary>Who is looking: their reactions are highlighted, their messages can be edited and deleted.</summary>
    [Parameter, EditorRequired]
    public MessageAuthor Me { get; set; } = default!;

    /// <summary>When it was posted, as the reader reads times.</summary>
    [Parameter, EditorRequired]
    public string Time { get; set; } = "";

    /// <summary>A reacting user's name, for the reaction's tooltip.</summary>
    [Parameter, EditorRequired]
    public Func<long, string> NameOf { get; set; } = default!;

    /// <summary>room.js, once loaded: puts the caret at the end of the text being edited.</summary>
    [Parameter]
    public IJSObjectReference? Module { get; set; }

    [Parameter]
    public EventCallback<Message> OnReply { get; set; }

    /// <summary>Brings the replied-to message into view, loading older pages as needed; false when it is out of reach.</summary>
    [Parameter, EditorRequired]
    public Func<ReplyPreview, Task<bool>> ShowOriginal { get; set; } = default!;

    /// <summary>A change of the reader's was committed: show it without waiting for its broadcast.</summary>
    [Parameter]
    public EventCallback OnChanged { get; set; }

    /// <summary>What the reader asked for, done as the item appears.</summary>
    [Parameter, EditorRequired]
    public MessageIntent Intent { get; set; }

    /// <summary>The reaction to toggle, for <see cref="MessageIntent.Toggle"/>.</summary>
    [Parameter]
    public string? Emoji { get; set; }

    /// <summary>
    /// Nothing is open any more: the page shows the message as markup again, and puts focus back where the reader was:
    /// on the message (null), or on the button this selector finds in it.
    /// </summary>
    [Parameter]
    public EventCallback<MessageFocus> OnIdle { get; set; }

    private bool Mine => Message.User.Id == Me.Id;

    // "active": its actions stay shown while its picker or its delete confirmation is open.
    private string Classes => (pickerOpen || confirmingDelete ? "message active" : "message") + (Message.Mentions.Contains(Me.Id) ? " mentioned" : "");

    private bool Idle => !pickerOpen && !editing && !confirmingDelete && error is null;

    protected override async Task OnInitializedAsync()
    {
        switch (Intent)
        {
            case MessageIntent.Pick:
                TogglePicker();
                break;
            case MessageIntent.Edit when Mine:
                StartEdit();
                break;
            case MessageIntent.ConfirmDelete when Mine:
                AskDelete();
                break;
            case MessageIntent.Toggle when Emoji is not null:
                await ToggleChipAsync(Emoji);
                break;
            case MessageIntent.ShowOriginal when Message.ReplyTo is not null:
                focus = Focus.None;
                await ShowOriginalAsync();
                break;
        }
    }

    protected override void OnParametersSet()
    {
        if (Message.Deleted)
        {
            // Deleted here or elsewhere: nothing is left to edit, react to or delete.
            editing = pickerOpen = confirmingDelete = false;
        }
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        var target = focus;
        focus = Focus.None;
        if (Idle)
        {
            await OnIdle.InvokeAsync(target switch
            {
                Focus.Article => MessageFocus.Message,
                Focus.ReactButton => MessageFocus.On("[data-action=react]"),
                Focus.Reaction when focusEmoji is not null => MessageFocus.OnReaction(focusEmoji),
                _ => MessageFocus.Unchanged,
            });
            return;
        }

        switch (target)
        {
            case Focus.Article:
                await article.FocusAsync();
                break;
            case Focus.Editor when editing && Module is not null:
                await Module.InvokeVoidAsync("editing", editInput);
                break;
            case Focus.Editor when editing:
                await editInput.FocusAsync();
                break;
            case Focus.ReactButton when !Message.Deleted && !editing:
                // The picker had focus and is gone: the actions show again once the message has focus, and only shown
                // can the button take it.
                await article.FocusAsync();
                await reactButton.FocusAsync();
                break;
            case Focus.Picker when pickerOpen && Module is not null:
                await Module.InvokeVoidAsync("focusFirst", picker);
                break;
            case Focus.CancelDelete when confirmingDelete:
                await cancelDelete.FocusAsync();
                break;
        }
    }

    private string Pressed(string emoji) => Reacted(emoji) ? "true" : "false";

    private bool Reacted(string emoji) => Message.Reactions.Any(r => r.Emoji == emoji && r.UserIds.Contains(Me.Id));

    private string Who(ReactionSummary reaction) => string.Join(", ", reaction.UserIds.Select(NameOf));

    private async Task ToggleAsync(string emoji) =>
        await ChangeAsync(Link.ReactAsync(Message.Id, emoji, add: !Reacted(emoji)));

    // A reaction's chip: focus stays on it (or on the message, once the chip is gone).
    private async Task ToggleChipAsync(string emoji)
    {
        focus = Focus.Reaction;
        focusEmoji = emoji;
        await ToggleAsync(emoji);
    }

    private void TogglePicker()
    {
        pickerOpen = !pickerOpen;
        confirmingDelete = false;
        focus = pickerOpen ? Focus.Picker : Focus.None;
    }

    private async Task ChooseAsync(string emoji)
    {
        pickerOpen = false;
        focus = Focus.ReactButton;
        await ToggleAsync(emoji);
    }

    private void OnPickerKey(KeyboardEventArgs key)
    {
        if (key.Key == "Escape")
        {
            pickerOpen = false;
            focus = Focus.ReactButton;
        }
    }

    private void StartEdit()
    {
        editing = true;
        editDraft = Message.Content;
        pickerOpen = confirmingDelete = false;
        error = null;
        focus = Focus.Editor;
    }

    private void CancelEdit()
    {
        editing = false;
        error = null;
        focus = Focus.Article;
    }

    private async Task SaveEditAsync()
    {
        if (editDraft == Message.Content || await ChangeAsync(Link.EditAsync(Message.Id, editDraft)))
        {
            editing = false;
            focus = Focus.Article;
        }
    }

    private void AskDelete()
    {
        confirmingDelete = true;
        pickerOpen = false;
        focus = Focus.CancelDelete;
    }

    private void CancelDelete()
    {
        confirmingDelete = false;
        focus = Focus.Article;
    }

    private void OnConfirmKey(KeyboardEventArgs key)
    {
        if (key.Key == "Escape")
        {
            CancelDelete();
        }
    }

    private async Task DeleteAsync()
    {
        if (await ChangeAsync(Link.DeleteAsync(Message.Id)))
        {
            confirmingDelete = false;
            focus = Focus.Article;
        }
    }

    private async Task ShowOriginalAsync()
    {
        error = await ShowOriginal(Message.ReplyTo!) ? null : "The original message is too far back to show here.";
    }

    // True when done (or nothing needed doing); otherwise why not shows under the message.
    private async Task<bool> ChangeAsync(Task<RoomActionResult> change)
    {
        var result = await change;
        if (result.Outcome != RoomActionOutcome.Done)
        {
            error = result.Error ?? RefusalText.NotSaved;
            return false;
        }

        error = null;
        await OnChanged.InvokeAsync();
        return true;
    }
}

/// <summary>What a reader asked of a listed message (a button of its markup, <see cref="MessageView"/>).</summary>
public enum MessageIntent
{
    Pick,
    Edit,
    ConfirmDelete,
    Toggle,
    ShowOriginal,
}

/// <summary>Where focus goes when a message is handed back to the list: nowhere new, the message, or a button in it.</summary>
public readonly record struct MessageFocus(bool Move, string? Selector)
{
    public static MessageFocus Unchanged => default;

    public static MessageFocus Message => new(true, null);

    public static MessageFocus On(string selector) => new(true, selector);

    /// <summary>The chip of a reaction, when it is still there.</summary>
    public static MessageFocus OnReaction(string emoji) => new(true, $"[data-emoji=\"{emoji.Replace("\\", "\\\\").Replace("\"", "\\\"")}\"]");
}

using System.Diagnostics.CodeAnalysis;
using Confab.Messages;
using Confab.Rooms;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.JSInterop;

namespace Confab.Web.Chat;

/// <summary>
/// The rooms and direct conversations the user belongs to, on every page, with what they have not read: unread and
/// mention counts that follow the user channel live (the server's counts, the same on every device), bold names for
/// rooms with something new, a picker to start a direct conversation, and a desktop notification for a mention while
/// the tab is hidden (once the user allowed it). It reaches the server through an <see cref="IUserLink"/>.
/// </summary>
public sealed partial class Sidebar
{
    private IReadOnlyList<RoomListing>? given;
    private List<RoomListing> rooms = [];
    private IUserLink? link;
    private IJSObjectReference? module;
    private string notifications = "unsupported";
    private bool picking;
    private string query = "";
    private IReadOnlyList<MessageAuthor> found = [];
    private string? pickerError;

    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicConstructors | DynamicallyAccessedMemberTypes.PublicProperties, typeof(RoomListing))]
    [DynamicDependency(DynamicallyAccessedMemberTypes.PublicConstructors | DynamicallyAccessedMemberTypes.PublicProperties, typeof(MessageAuthor))]
    public Sidebar()
    {
    }

    /// <summary>Who is signed in.</summary>
    [Parameter, EditorRequired]
    public MessageAuthor Me { get; set; } = default!;

    /// <summary>The rooms as the page was rendered (<c>GET /api/rooms</c>): the sidebar follows them live from there.</summary>
    [Parameter, EditorRequired]
    public IReadOnlyList<RoomListing> Rooms { get; set; } = [];

    /// <summary>The slug of the room the page shows, if any: its counts are not shown, the reader is in it.</summary>
    [Parameter]
    public string? Current { get; set; }

    /// <summary>The user's token for the Phoenix socket, when the sidebar runs in the browser.</summary>
    [Parameter]
    public string? SocketToken { get; set; }

    [Inject] private IUserLinks Links { get; set; } = default!;
    [Inject] private IJSRuntime JS { get; set; } = default!;
    [Inject] private NavigationManager Navigation { get; set; } = default!;

    protected override async Task OnParametersSetAsync()
    {
        if (!ReferenceEquals(given, Rooms))
        {
            // A page rendered on the server (a navigation): its list is as new as any.
            given = Rooms;
            rooms = [.. Rooms];
        }

        if (RendererInfo.IsInteractive && link is null)
        {
            link = Links.Open(Me, SocketToken);
            await link.StartAsync(notice => InvokeAsync(() => ApplyAsync(notice)));
            // What changed between the page's render and the subscription is in the counts now.
            await ReloadAsync();
        }
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (firstRender && RendererInfo.IsInteractive)
        {
            module = await JS.InvokeAsync<IJSObjectReference>("import", "./js/sidebar.js");
            notifications = await module.InvokeAsync<string>("init");
            if (notifications == "default")
            {
                StateHasChanged();
            }
        }
    }

    private async Task ApplyAsync(UserNotice notice)
    {
        switch (notice.Event)
        {
            case UserNotice.RoomActivity or UserNotice.ReadMarker when notice.Room is { } slug:
                var at = rooms.FindIndex(room => room.Slug == slug);
                if (at < 0)
                {
                    await ReloadAsync();
                    return;
                }

                rooms[at] = rooms[at] with
                {
                    UnreadCount = notice.UnreadCount ?? rooms[at].UnreadCount,
                    MentionCount = notice.MentionCount ?? rooms[at].MentionCount,
                    LastReadSeq = notice.LastReadSeq ?? rooms[at].LastReadSeq,
                };
                break;
            case UserNotice.Mention when notice.Message is { } message && module is not null:
                var room = rooms.Find(room => room.Slug == notice.Room);
                var where = room is null ? "" : room.IsDirect ? "" : $" in #{room.Name}";
                await module.InvokeVoidAsync("notify", $"{message.User.Username} mentioned you{where}", MessageMarkdown.PlainText(message.Content), $"/rooms/{notice.Room}");
                return;
            case UserNotice.RoomAdded or UserNotice.RoomRemoved or UserNotice.Resync:
                await ReloadAsync();
                return;
            case UserNotice.AccountDeactivated:
                Navigation.NavigateTo("/login", forceLoad: true);
                return;
            default:
                return;
        }

        StateHasChanged();
    }

    private async Task ReloadAsync()
    {
        if (link is not null)
        {
            rooms = [.. await link.ListRoomsAsync()];
            StateHasChanged();
        }
    }

    private void TogglePicker()
    {
        picking = !picking;
        query = "";
        found = [];
        pickerError = null;
    }

    private async Task SearchAsync(ChangeEventArgs change)
    {
        query = (change.Value as string ?? "").Trim();
        pickerError = null;
        var asked = query;
        var results = query.Length == 0 || link is null ? [] : await link.FindUsersAsync(query);
        if (asked == query)
        {
            found = [.. results.Where(user => user.Id != Me.Id)];
        }
    }

    private async Task OpenDirectAsync(string username)
    {
        if (link is null)
        {
            return;
        }

        var (slug, error) = await link.OpenDirectAsync(username);
        if (slug is null)
        {
            pickerError = error;
            return;
        }

        picking = false;
        await ReloadAsync();
        Navigation.NavigateTo($"/rooms/{slug}");
    }

    private async Task EnableNotificationsAsync()
    {
        if (module is not null)
        {
            notifications = await module.InvokeAsync<string>("enableNotifications");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (link is not null)
        {
            await link.DisposeAsync();
        }

        await JsModules.ReleaseAsync(module);
    }
}

using System.Net;
using Confab.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Confab.Tests.Security;

/// <summary>Cross-site request forgery: every form the UI posts carries an antiforgery token, and a post without one is refused.</summary>
public sealed class AntiforgeryTests
{
    [Fact]
    public async Task Every_posting_form_carries_a_token_and_is_refused_without_it()
    {
        await using var app = new ConfabFactory();
        var browser = app.CreateBrowserClient();
        var registered = await WebForms.SubmitAsync(browser, "/register", new Dictionary<string, string>
        {
            ["Input.Username"] = "alice",
            ["Input.Email"] = "alice@example.com",
            ["Input.Password"] = "s3cret-pass",
        });
        Assert.Equal(HttpStatusCode.Redirect, registered.StatusCode);

        var posting = new List<(string Page, HtmlForm Form)>();
        foreach (var page in new[] { "/login", "/register", "/rooms", "/rooms/general" })
        {
            foreach (var form in await WebForms.FormsAsync(browser, page))
            {
                if (form.Method == "POST")
                {
                    Assert.True(form.Hidden.ContainsKey(HtmlForm.AntiforgeryField), $"the form posting to {form.Action} on {page} has no antiforgery token");
                    posting.Add((page, form));
                }
                else
                {
                    // The only other form is the live composer, handled over the Blazor circuit, never posted.
                    Assert.Equal(("/rooms/general", ""), (page, form.Method));
                }
            }
        }

        Assert.Equal(["/login", "/logout", "/register", "/rooms"], posting.Select(p => p.Form.Action).Distinct().Order());
        foreach (var (page, form) in posting)
        {
            var refused = await WebForms.PostAsync(browser, form, Fields(form), withToken: false);
            Assert.True(refused.StatusCode == HttpStatusCode.BadRequest, $"{form.Action} from {page} without a token: {(int)refused.StatusCode}");
        }

        Assert.DoesNotContain(await app.Services.GetRequiredService<Confab.Rooms.RoomDirectory>().ListForAsync(1), r => r.Name == "Forged");
        // With its token the same post goes through: the refusal above was the token's doing.
        var create = posting.First(p => p.Form.Action == "/rooms" && p.Form.Hidden.GetValueOrDefault("_handler") == "create-room").Form;
        Assert.Equal(HttpStatusCode.Redirect, (await WebForms.PostAsync(browser, create, Fields(create))).StatusCode);
        Assert.Single(await app.Services.GetRequiredService<Confab.Rooms.RoomDirectory>().ListForAsync(1), r => r.Name == "Forged");
    }

    private static Dictionary<string, string> Fields(HtmlForm form) => form.Action switch
    {
        "/rooms" => new() { ["Input.Name"] = "Forged", ["Input.Description"] = "" },
        "/login" => new() { ["Input.Username"] = "alice", ["Input.Password"] = "s3cret-pass" },
        "/register" => new() { ["Input.Username"] = "mallory", ["Input.Email"] = "m@example.com", ["Input.Password"] = "s3cret-pass" },
        _ => [],
    };
}

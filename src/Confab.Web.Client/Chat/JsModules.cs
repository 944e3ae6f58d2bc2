using Microsoft.JSInterop;

namespace Confab.Web.Chat;

public static class JsModules
{
    /// <summary>Lets a page's JS module go; when the browser is gone, its side of the module went with it.</summary>
    public static async ValueTask ReleaseAsync(IJSObjectReference? module)
    {
        if (module is null)
        {
            return;
        }

        try
        {
            await module.DisposeAsync();
        }
        catch (JSDisconnectedException)
        {
            // Nothing to release.
        }
    }
}

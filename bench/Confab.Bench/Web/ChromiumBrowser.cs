using Microsoft.Playwright;

namespace Confab.Bench.Web;

/// <summary>One headless Chromium (Debian's, /usr/bin/chromium) for all the validation pages, launched as the browser tests launch it.</summary>
internal sealed class ChromiumBrowser : IAsyncDisposable
{
    private readonly IPlaywright playwright;
    private readonly IBrowser browser;
    private readonly Uri baseUrl;

    private ChromiumBrowser(IPlaywright playwright, IBrowser browser, Uri baseUrl)
    {
        this.playwright = playwright;
        this.browser = browser;
        this.baseUrl = baseUrl;
    }

    public static async Task<ChromiumBrowser> LaunchAsync(Uri baseUrl)
    {
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = Environment.GetEnvironmentVariable("CHROMIUM") ?? "/usr/bin/chromium",
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
        });
        return new ChromiumBrowser(playwright, browser, baseUrl);
    }

    public Task<IBrowserContext> NewContextAsync() =>
        browser.NewContextAsync(new() { BaseURL = baseUrl.ToString(), ViewportSize = new() { Width = 1280, Height = 800 } });

    public async ValueTask DisposeAsync()
    {
        await browser.CloseAsync();
        playwright.Dispose();
    }
}

using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Confab.Bench.Web;

/// <summary>
/// The HTTP requests a browser makes before its circuit or its WebAssembly room page starts, on one shared connection
/// pool: the log-in page and its form post (antiforgery cookie and token, then the session cookie), the room page
/// (prerendered, with the component markers the page starts from) and SignalR's negotiate. Cookies are carried by hand, one jar per session, so
/// thousands of sessions share one <see cref="HttpClient"/>.
/// </summary>
internal sealed partial class PageRequests(Uri baseUrl, int maxConnections) : IDisposable
{
    private readonly HttpClient http = new(new SocketsHttpHandler
    {
        UseCookies = false,
        AllowAutoRedirect = false,
        MaxConnectionsPerServer = maxConnections,
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
    })
    {
        BaseAddress = baseUrl,
        Timeout = TimeSpan.FromSeconds(60),
    };

    public Uri BaseUrl { get; } = baseUrl;

    /// <summary>Logs in through the page's form, as a person would; the session cookies, or an exception saying what failed.</summary>
    public async Task<CookieJar> SignInAsync(string username, string password, CancellationToken cancellationToken)
    {
        var jar = new CookieJar();
        using var form = await SendAsync(HttpMethod.Get, "/login", jar, null, cancellationToken);
        string page = await form.Content.ReadAsStringAsync(cancellationToken);
        var token = AntiforgeryField().Match(page);
        if (form.StatusCode != HttpStatusCode.OK || !token.Success)
        {
            throw new HttpRequestException($"GET /login: {(int)form.StatusCode}, antiforgery token {(token.Success ? "found" : "missing")}");
        }

        using var body = new FormUrlEncodedContent([
            new("_handler", "login"),
            new("__RequestVerificationToken", WebUtility.HtmlDecode(token.Groups[1].Value)),
            new("Input.Username", username),
            new("Input.Password", password),
        ]);
        using var posted = await SendAsync(HttpMethod.Post, "/login", jar, body, cancellationToken);
        // Signed in: redirected on to the rooms, with the session cookie (a refusal renders the form again).
        if (posted.StatusCode != HttpStatusCode.Redirect || posted.Headers.Location?.AbsolutePath != "/rooms")
        {
            throw new HttpRequestException($"POST /login as {username}: {(int)posted.StatusCode} to {posted.Headers.Location}");
        }

        return jar;
    }

    /// <summary>GET /rooms/{slug}: the prerendered page's interactive component and persisted state, for the page's render <paramref name="mode"/>.</summary>
    public async Task<RoomPageMarkers> GetRoomAsync(string slug, CookieJar jar, PageMode mode, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, "/rooms/" + slug, jar, null, cancellationToken);
        string page = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new HttpRequestException($"GET /rooms/{slug}: {(int)response.StatusCode}");
        }

        return RoomPageMarkers.Parse(page, mode) ?? throw new InvalidDataException(
            $"GET /rooms/{slug}: no interactive {WebOptions.PageName(mode)} component marker in the page (is the server's Confab:Web:RoomRenderMode the --page asked for?)");
    }

    /// <summary>POST /_blazor/negotiate?negotiateVersion=1: the connection token for the WebSocket.</summary>
    public async Task<string> NegotiateAsync(CookieJar jar, CancellationToken cancellationToken)
    {
        using var empty = new ByteArrayContent([]);
        using var response = await SendAsync(HttpMethod.Post, "/_blazor/negotiate?negotiateVersion=1", jar, empty, cancellationToken);
        response.EnsureSuccessStatusCode();
        using var body = JsonDocument.Parse(await response.Content.ReadAsStreamAsync(cancellationToken));
        return body.RootElement.GetProperty("connectionToken").GetString() ?? throw new InvalidDataException("negotiate: no connectionToken");
    }

    /// <summary>What blazor.web.js beacons when the page goes away: POST /_blazor/disconnect, so the circuit ends now, not after its retention.</summary>
    public async Task DisconnectAsync(string circuitId, CookieJar jar, CancellationToken cancellationToken)
    {
        using var body = new FormUrlEncodedContent([new("circuitId", circuitId)]);
        using var response = await SendAsync(HttpMethod.Post, "/_blazor/disconnect", jar, body, cancellationToken);
    }

    public void Dispose() => http.Dispose();

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, CookieJar jar, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (jar.Header() is { Length: > 0 } cookies)
        {
            request.Headers.Add("Cookie", cookies);
        }

        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
        var response = await http.SendAsync(request, cancellationToken);
        jar.Take(response);
        return response;
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}

/// <summary>One session's cookies: name=value pairs from Set-Cookie, sent back on every request and the WebSocket upgrade.</summary>
internal sealed class CookieJar
{
    private readonly Dictionary<string, string> cookies = new(StringComparer.Ordinal);

    public string Header() => string.Join("; ", cookies.Select(c => c.Key + "=" + c.Value));

    public void Take(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Set-Cookie", out var values))
        {
            return;
        }

        foreach (var value in values)
        {
            string pair = value.Split(';', 2)[0];
            int equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                cookies[pair[..equals].Trim()] = pair[(equals + 1)..].Trim();
            }
        }
    }
}

/// <summary>
/// What blazor.web.js reads from a prerendered page to start its interactive components, for the page's render mode: the
/// start marker of each interactive component (<c>&lt;!--Blazor:{"type":"server",…}--&gt;</c>, or <c>"webassembly"</c>;
/// its JSON as written) and that mode's persisted state (<c>&lt;!--Blazor-Server-Component-State:…--&gt;</c>, or
/// <c>Blazor-WebAssembly-Component-State</c>), if any.
/// </summary>
internal sealed partial record RoomPageMarkers(List<JsonElement> Components, string PersistedState)
{
    /// <summary>The markers of <paramref name="mode"/>'s components and state; null when the page has no such component.</summary>
    public static RoomPageMarkers? Parse(string page, PageMode mode)
    {
        string type = mode == PageMode.WebAssembly ? "webassembly" : "server";
        var components = new List<JsonElement>();
        foreach (Match marker in ComponentMarker().Matches(page))
        {
            using var json = JsonDocument.Parse(marker.Groups[1].Value);
            if (json.RootElement.TryGetProperty("type", out var found) && found.GetString() == type)
            {
                components.Add(json.RootElement.Clone());
            }
        }

        var state = (mode == PageMode.WebAssembly ? WebAssemblyStateMarker() : ServerStateMarker()).Match(page);
        return components.Count == 0 ? null : new RoomPageMarkers(components, state.Success ? state.Groups[1].Value : "");
    }

    /// <summary>
    /// A WebAssembly component's parameter as the browser receives it: <c>parameterDefinitions</c> (base64 JSON, each
    /// parameter's name) and <c>parameterValues</c> (base64 JSON, the values in the same order); null when absent.
    /// </summary>
    public JsonElement? Parameter(string name)
    {
        var component = Components[0];
        if (!component.TryGetProperty("parameterDefinitions", out var definitions) || !component.TryGetProperty("parameterValues", out var values))
        {
            return null;
        }

        using var names = JsonDocument.Parse(Convert.FromBase64String(definitions.GetString() ?? ""));
        int index = 0;
        foreach (var definition in names.RootElement.EnumerateArray())
        {
            if (definition.TryGetProperty("name", out var found) && found.GetString() == name)
            {
                using var all = JsonDocument.Parse(Convert.FromBase64String(values.GetString() ?? ""));
                return all.RootElement.GetArrayLength() > index ? all.RootElement[index].Clone() : null;
            }

            index++;
        }

        return null;
    }

    /// <summary>
    /// One key of the WebAssembly persisted state (base64 of a JSON object whose values are base64 of each key's JSON,
    /// as <c>PersistentComponentState.PersistAsJson</c> wrote it): that JSON's bytes, or null when absent.
    /// </summary>
    public byte[]? PersistedValue(string key)
    {
        if (PersistedState.Length == 0)
        {
            return null;
        }

        using var state = JsonDocument.Parse(Convert.FromBase64String(PersistedState));
        return state.RootElement.TryGetProperty(key, out var value) && value.GetString() is { } encoded ? Convert.FromBase64String(encoded) : null;
    }

    [GeneratedRegex("<!--Blazor:(\\{.*?\\})-->", RegexOptions.Singleline)]
    private static partial Regex ComponentMarker();

    [GeneratedRegex("<!--Blazor-Server-Component-State:(.*?)-->", RegexOptions.Singleline)]
    private static partial Regex ServerStateMarker();

    [GeneratedRegex("<!--Blazor-WebAssembly-Component-State:(.*?)-->", RegexOptions.Singleline)]
    private static partial Regex WebAssemblyStateMarker();
}

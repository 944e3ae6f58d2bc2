using System.Net;
using System.Text.RegularExpressions;

namespace Confab.Tests.Infrastructure;

/// <summary>A form as the server rendered it: where it posts, and its hidden fields (the antiforgery token, Blazor's <c>_handler</c>).</summary>
public sealed record HtmlForm(string Action, string Method, IReadOnlyDictionary<string, string> Hidden)
{
    public const string AntiforgeryField = "__RequestVerificationToken";
}

/// <summary>Reads the forms of server-rendered pages and posts them, as a browser without JavaScript would.</summary>
public static partial class WebForms
{
    public static async Task<IReadOnlyList<HtmlForm>> FormsAsync(HttpClient client, string path)
    {
        var response = await client.GetAsync(path);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"GET {path}: {(int)response.StatusCode}");
        var html = await response.Content.ReadAsStringAsync();
        return FormPattern().Matches(html).Select(form => new HtmlForm(
            WebUtility.HtmlDecode(AttributePattern("action").Match(form.Groups["open"].Value).Groups[1].Value),
            AttributePattern("method").Match(form.Groups["open"].Value).Groups[1].Value.ToUpperInvariant(),
            HiddenPattern().Matches(form.Groups["body"].Value).ToDictionary(
                input => WebUtility.HtmlDecode(input.Groups["name"].Value),
                input => WebUtility.HtmlDecode(input.Groups["value"].Value)))).ToList();
    }

    /// <summary>Posts the form's hidden fields plus <paramref name="fields"/>; <c>withToken: false</c> leaves the antiforgery token out.</summary>
    public static Task<HttpResponseMessage> PostAsync(HttpClient client, HtmlForm form, IDictionary<string, string> fields, bool withToken = true)
    {
        var body = form.Hidden.Where(field => withToken || field.Key != HtmlForm.AntiforgeryField).Concat(fields);
        return client.PostAsync(form.Action, new FormUrlEncodedContent(body));
    }

    /// <summary>Gets <paramref name="path"/>, then posts its only form with <paramref name="fields"/>.</summary>
    public static async Task<HttpResponseMessage> SubmitAsync(HttpClient client, string path, IDictionary<string, string> fields)
    {
        var forms = await FormsAsync(client, path);
        return await PostAsync(client, forms.Single(f => f.Action == path), fields);
    }

    [GeneratedRegex("""(?<open><form[^>]*>)(?<body>.*?)</form>""", RegexOptions.Singleline)]
    private static partial Regex FormPattern();

    private static Regex AttributePattern(string name) => new($"\\s{name}=\"([^\"]*)\"");

    [GeneratedRegex("""<input type="hidden" name="(?<name>[^"]*)" value="(?<value>[^"]*)"\s*/?>""")]
    private static partial Regex HiddenPattern();
}

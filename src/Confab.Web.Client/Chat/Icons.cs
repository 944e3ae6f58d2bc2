using Microsoft.AspNetCore.Components;

namespace Confab.Web.Chat;

/// <summary>
/// Line icons beside, or instead of, a button's text: decoration (<c>aria-hidden</c>), the button is named by its text.
/// Each is one constant string, rendered as one markup frame: a component per icon cost every open page two render trees
/// per icon, a hundred icons per room page.
/// </summary>
public static class Icons
{
    public const string ReactSvg = Open + """<circle cx="12" cy="12" r="9"/><path d="M8.5 14.5a4.5 4.5 0 0 0 7 0M9 9.5h.01M15 9.5h.01"/></svg>""";
    public const string ReplySvg = Open + """<path d="M9 14 4 9l5-5"/><path d="M4 9h10.5a5.5 5.5 0 0 1 0 11H11"/></svg>""";
    public const string EditSvg = Open + """<path d="M12 20h9"/><path d="M16.5 3.5a2.1 2.1 0 0 1 3 3L7 19l-4 1 1-4Z"/></svg>""";
    public const string DeleteSvg = Open + """<path d="M3 6h18M8 6V4h8v2M19 6l-1 14H6L5 6M10 11v6M14 11v6"/></svg>""";
    public const string PlusSvg = Open + """<path d="M12 5v14M5 12h14"/></svg>""";
    public const string CloseSvg = Open + """<path d="M18 6 6 18M6 6l12 12"/></svg>""";

    private const string Open = """<svg class="icon" viewBox="0 0 24 24" width="18" height="18" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">""";

    public static MarkupString React => new(ReactSvg);

    public static MarkupString Reply => new(ReplySvg);

    public static MarkupString Edit => new(EditSvg);

    public static MarkupString Delete => new(DeleteSvg);

    public static MarkupString Close => new(CloseSvg);

    public static MarkupString Plus => new(PlusSvg);
}

namespace Confab.Web.Chat;

/// <summary>The icons <see cref="Icon"/> draws.</summary>
public enum IconKind
{
    React,
    Reply,
    Edit,
    Delete,
    Close,
}

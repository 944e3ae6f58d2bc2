namespace Confab.Accounts;

/// <summary>A registered user. Usernames are unique case-insensitively and never change.</summary>
public sealed record User(long Id, string Username, string Email, DateTime InsertedAt);

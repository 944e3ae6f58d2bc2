namespace Confab.Rooms;

/// <summary>A chat room, addressed by its <see cref="Slug"/> (<c>/rooms/general</c>, topic <c>room:general</c>).</summary>
public sealed record Room(long Id, string Name, string Description, string Slug, DateTime InsertedAt);

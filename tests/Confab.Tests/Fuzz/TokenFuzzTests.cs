using Confab.Accounts;
using CsCheck;
using Microsoft.Extensions.Options;

namespace Confab.Tests.Fuzz;

/// <summary>Bearer tokens from an attacker: random strings and mutations of a valid token are refused, never thrown on.</summary>
public sealed class TokenFuzzTests
{
    [Fact]
    public void Random_and_mutated_tokens_are_refused_without_an_exception()
    {
        var tokens = new AuthTokens(Options.Create(new AuthOptions { SigningKey = new string('k', 48) }), TimeProvider.System);
        var valid = tokens.Issue(new User(1, "alice", "alice@example.com", DateTime.UtcNow)).Token;
        Assert.NotNull(tokens.Validate(valid));
        var alphabet = Gen.OneOf(Gen.Char["A-Za-z0-9-_.=+/"], Gen.Char);
        var mutated = Gen.Select(Gen.Int[0, valid.Length - 1], Gen.Int[0, 2], alphabet.Array[1, 12], (at, how, chars) => how switch
        {
            0 => valid[..at] + new string(chars) + valid[at..],
            1 => valid[..at] + valid[Math.Min(valid.Length, at + chars.Length)..],
            _ => valid[..at] + new string(chars) + valid[Math.Min(valid.Length, at + chars.Length)..],
        });

        Gen.OneOf(mutated, Gen.String, Gen.String.Select(s => "cfb1." + s), Gen.String.Select(s => valid[..valid.LastIndexOf('.')] + "." + s))
            .Sample(token => token == valid || tokens.Validate(token) is null, iter: 100_000);
    }
}

using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Confab.Api;
using Microsoft.Extensions.Options;

namespace Confab.Accounts;

/// <summary>
/// Signed bearer tokens for sockets and the API: <c>cfb1.&lt;payload&gt;.&lt;signature&gt;</c>, where the payload is
/// base64url JSON <c>{"sub": 3, "name": "alice", "exp": 1764324000}</c> and the signature is HMAC-SHA256 over
/// <c>cfb1.&lt;payload&gt;</c> with a key derived from the configured secret. Tampered, expired and foreign
/// (signed with another secret) tokens are rejected.
/// </summary>
public sealed class AuthTokens
{
    private const string Prefix = "cfb1.";
    private static readonly byte[] KeyPurpose = "confab/auth-token/v1"u8.ToArray();

    private readonly byte[] key;
    private readonly TimeSpan lifetime;
    private readonly TimeProvider time;
    private readonly DeactivatedUsers? deactivated;

    /// <summary>With <paramref name="deactivated"/>, a deactivated user's tokens no longer validate.</summary>
    public AuthTokens(IOptions<AuthOptions> options, TimeProvider time, DeactivatedUsers? deactivated = null)
    {
        this.deactivated = deactivated;
        var secret = Encoding.UTF8.GetBytes(options.Value.SigningKey!);
        key = HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, salt: [], info: KeyPurpose);
        lifetime = options.Value.TokenLifetime;
        this.time = time;
    }

    public IssuedToken Issue(User user) => Issue(user.Id, user.Username);

    public IssuedToken Issue(long userId, string username)
    {
        var expiresAt = time.GetUtcNow().Add(lifetime);
        var payload = JsonSerializer.SerializeToUtf8Bytes(
            new TokenPayload(userId, username, expiresAt.ToUnixTimeSeconds()), ConfabJsonContext.Default.TokenPayload);
        var body = Prefix + Base64Url.EncodeToString(payload);
        return new IssuedToken(body + "." + Base64Url.EncodeToString(Sign(body)), DateTimeOffset.FromUnixTimeSeconds(expiresAt.ToUnixTimeSeconds()));
    }

    /// <summary>The token's claims, or null when it is malformed, tampered with, foreign or expired, or its user deactivated.</summary>
    public TokenClaims? Validate(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 2048 || !token.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var dot = token.LastIndexOf('.');
        if (dot <= Prefix.Length)
        {
            return null;
        }

        // The signature must be exactly its canonical encoding (no padding, no whitespace), compared in fixed time.
        var body = token[..dot];
        var expected = Encoding.ASCII.GetBytes(Base64Url.EncodeToString(Sign(body)));
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token[(dot + 1)..]), expected))
        {
            return null;
        }

        TokenPayload? payload;
        try
        {
            payload = JsonSerializer.Deserialize(Base64Url.DecodeFromChars(body.AsSpan(Prefix.Length)), ConfabJsonContext.Default.TokenPayload);
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            return null;
        }

        if (payload is null || payload.Sub <= 0 || string.IsNullOrEmpty(payload.Name) || deactivated?.Contains(payload.Sub) == true)
        {
            return null;
        }

        var expiresAt = DateTimeOffset.FromUnixTimeSeconds(payload.Exp);
        return expiresAt <= time.GetUtcNow() ? null : new TokenClaims(payload.Sub, payload.Name, expiresAt);
    }

    private byte[] Sign(string body) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(body));
}

public sealed record IssuedToken(string Token, DateTimeOffset ExpiresAt);

public sealed record TokenClaims(long UserId, string Username, DateTimeOffset ExpiresAt);

public sealed record TokenPayload(long Sub, string Name, long Exp);

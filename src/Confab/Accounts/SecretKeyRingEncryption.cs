using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Microsoft.Extensions.Options;

namespace Confab.Accounts;

/// <summary>
/// Encrypts Data Protection's keys (which protect the UI's session cookies) with AES-GCM under a key derived from
/// <c>SECRET_KEY_BASE</c>, before they are stored in the database: whoever reads the database alone cannot mint
/// cookies. Rotating the secret therefore also ends every cookie session.
/// </summary>
internal sealed class SecretXmlEncryptor(IOptions<AuthOptions> options) : IXmlEncryptor
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private static readonly byte[] Purpose = "confab/data-protection-key-ring/v1"u8.ToArray();

    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        var plaintext = Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting));
        var sealedBytes = new byte[NonceSize + TagSize + plaintext.Length];
        var nonce = sealedBytes.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using (var aes = new AesGcm(DeriveKey(options.Value), TagSize))
        {
            aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(NonceSize + TagSize), sealedBytes.AsSpan(NonceSize, TagSize));
        }

        var element = new XElement("encryptedKey",
            new XComment(" Encrypted with a key derived from SECRET_KEY_BASE (AES-256-GCM). "),
            new XElement("value", Convert.ToBase64String(sealedBytes)));
        return new EncryptedXmlInfo(element, typeof(SecretXmlDecryptor));
    }

    internal static byte[] DeriveKey(AuthOptions options) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(options.SigningKey!), 32, salt: [], info: Purpose);
}

/// <summary>Decrypts what <see cref="SecretXmlEncryptor"/> wrote; Data Protection creates it by type name with the app's services.</summary>
internal sealed class SecretXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    private const int NonceSize = 12;
    private const int TagSize = 16;

    public XElement Decrypt(XElement encryptedElement)
    {
        var sealedBytes = Convert.FromBase64String((string?)encryptedElement.Element("value") ?? "");
        if (sealedBytes.Length < NonceSize + TagSize)
        {
            throw new CryptographicException("The stored key ring entry is too short to be one Confab encrypted.");
        }

        var plaintext = new byte[sealedBytes.Length - NonceSize - TagSize];
        var key = SecretXmlEncryptor.DeriveKey(services.GetRequiredService<IOptions<AuthOptions>>().Value);
        using (var aes = new AesGcm(key, TagSize))
        {
            // A different SECRET_KEY_BASE fails here: those keys (and the cookies they protect) are no longer valid.
            aes.Decrypt(sealedBytes.AsSpan(0, NonceSize), sealedBytes.AsSpan(NonceSize + TagSize), sealedBytes.AsSpan(NonceSize, TagSize), plaintext);
        }

        return XElement.Parse(Encoding.UTF8.GetString(plaintext));
    }
}

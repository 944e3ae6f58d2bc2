using System.Xml.Linq;
using Confab.Storage;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace Confab.Accounts;

/// <summary>Keeps Data Protection's key ring in the <c>data_protection_keys</c> table.</summary>
internal sealed class DatabaseXmlRepository(ChatStore store) : IXmlRepository
{
    // Data Protection's interface is synchronous; it reads the ring rarely (at start and on key rotation).
    public IReadOnlyCollection<XElement> GetAllElements() =>
        store.GetDataProtectionKeysAsync().GetAwaiter().GetResult().Select(xml => XElement.Parse(xml)).ToList();

    public void StoreElement(XElement element, string friendlyName) =>
        store.StoreDataProtectionKeyAsync(friendlyName, element.ToString(SaveOptions.DisableFormatting)).GetAwaiter().GetResult();
}

using Switch.Security.Backends;
using Switch.Security.Backends.Software;
using Switch.Security.Keys;

namespace Switch.Security.Tests;

/// <summary>Small helpers to load test keys into a software module.</summary>
public static class SoftwareModule
{
    /// <summary>A fresh software back end.</summary>
    public static ComposedSecurityModule Create() => new(new SoftwareCipherEngine());

    /// <summary>Imports a test key given as hex.</summary>
    public static async Task<SecureKey> KeyAsync(this ISecurityTooling module, KeyType type, string hex, KeyAlgorithm algorithm = KeyAlgorithm.Tdes) =>
        await module.ImportClearKeyAsync(type, algorithm, Convert.FromHexString(hex), TestTimeout.Token);
}

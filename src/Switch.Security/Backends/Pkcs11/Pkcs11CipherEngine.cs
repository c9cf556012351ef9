using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using Switch.Security.Keys;

namespace Switch.Security.Backends.Pkcs11;

/// <summary>
/// Cipher engine on a PKCS#11 token (tested with SoftHSM2): the primitives, each the token's own ECB/CBC/CMAC
/// mechanism on sensitive, non-extractable objects. Sessions are <see cref="Pkcs11SessionPool"/>'s, objects are
/// <see cref="Pkcs11KeyVault"/>'s; derived keys (EMV, AES DUKPT) are made inside the token with
/// CKM_*_ECB_ENCRYPT_DATA.
/// </summary>
public sealed class Pkcs11CipherEngine : ICipherEngine, IKeyVault
{
    private readonly Pkcs11SessionPool _pool;
    private readonly Pkcs11KeyVault _vault;

    /// <summary>Loads the module, finds the token and logs in; <paramref name="disposeAfterUnload"/> (a throwaway token's directory) is disposed after the module is finalised.</summary>
    public Pkcs11CipherEngine(Pkcs11Options options, IDisposable? disposeAfterUnload = null)
    {
        _pool = new Pkcs11SessionPool(options, disposeAfterUnload);
        _vault = new Pkcs11KeyVault(_pool);
    }

    /// <inheritdoc />
    public string Name => "pkcs11";

    /// <inheritdoc />
    public KeyHandle Import(KeyAlgorithm algorithm, ReadOnlySpan<byte> clearKey) => _vault.Create(this, algorithm, clearKey, null);

    /// <inheritdoc />
    public KeyHandle Store(string label, KeyAlgorithm algorithm, ReadOnlySpan<byte> clearKey)
    {
        FileKeyStore.ValidateName(label);
        if (Find(label) is { } existing)
        {
            existing.Dispose();
            throw new SecurityInputException($"name: the token already holds a key labelled '{label}'");
        }
        return _vault.Create(this, algorithm, clearKey, label);
    }

    /// <inheritdoc />
    public KeyHandle? Find(string label) => _vault.Find(this, label);

    /// <inheritdoc />
    public bool Delete(string label) => _vault.Delete(label);

    /// <inheritdoc />
    public KeyHandle DeriveByEncryption(KeyHandle parent, KeyAlgorithm derivedAlgorithm, ReadOnlySpan<byte> data, int keyBytes) =>
        _vault.Derive(this, Own(parent), derivedAlgorithm, data, keyBytes);

    /// <inheritdoc />
    public void EncryptEcb(KeyHandle key, KeyPart part, ReadOnlySpan<byte> input, Span<byte> output) =>
        Finish(_pool.WithSession((k: Own(key), part, data: input.ToArray()), static (s, a) =>
            s.Encrypt(s.Factories.MechanismFactory.Create(EcbMechanism(a.k, a.part)), a.k.Object(a.part), a.data)), output);

    /// <inheritdoc />
    public void DecryptEcb(KeyHandle key, KeyPart part, ReadOnlySpan<byte> input, Span<byte> output) =>
        Finish(_pool.WithSession((k: Own(key), part, data: input.ToArray()), static (s, a) =>
            s.Decrypt(s.Factories.MechanismFactory.Create(EcbMechanism(a.k, a.part)), a.k.Object(a.part), a.data)), output);

    /// <inheritdoc />
    public void EncryptCbc(KeyHandle key, KeyPart part, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input, Span<byte> output)
    {
        TokenKey k = Own(key);
        CKM mechanism = k.Algorithm == KeyAlgorithm.Aes && part == KeyPart.Whole ? CKM.CKM_AES_CBC : CKM.CKM_DES3_CBC;
        Finish(_pool.WithSession((k, part, mechanism, iv: iv[..k.BlockBytes].ToArray(), data: input.ToArray()), static (s, a) =>
            s.Encrypt(s.Factories.MechanismFactory.Create(a.mechanism, a.iv), a.k.Object(a.part), a.data)), output);
    }

    /// <inheritdoc />
    public void Cmac(KeyHandle key, ReadOnlySpan<byte> data, Span<byte> mac)
    {
        TokenKey k = Own(key);
        CKM mechanism = k.Algorithm == KeyAlgorithm.Aes ? CKM.CKM_AES_CMAC : CKM.CKM_DES3_CMAC;
        Finish(_pool.WithSession((k, mechanism, data: data.ToArray()), static (s, a) =>
            s.Sign(s.Factories.MechanismFactory.Create(a.mechanism), a.k.Object(KeyPart.Whole), a.data)), mac);
    }

    /// <summary>Asks the token for the key's value and extractability (tests prove the token refuses).</summary>
    internal bool TokenWouldRevealValue(KeyHandle key) => _vault.WouldRevealValue(Own(key));

    /// <summary>Secret-key objects visible to the engine's owner session (session and token objects).</summary>
    internal int SecretKeyObjectCount() => _vault.CountSecretKeyObjects();

    /// <summary>True when the token offers the mechanism (C_GetMechanismList).</summary>
    internal bool Supports(CKM mechanism) => _pool.Supports(mechanism);

    /// <summary>Fault injection (FAULTS.md F16): C_CloseAllSessions, what a token removal does; every later call fails as unavailable.</summary>
    internal void SimulateTokenRemoval() => _pool.CloseAllSessions();

    /// <summary>Destroys a released key's session objects (nothing to do once the engine is closed).</summary>
    internal void DestroyObjects(IObjectHandle?[] objects)
    {
        if (!_pool.IsClosed) _vault.Destroy(objects);
    }

    /// <summary>Logs out, closes every session (destroying session keys) and unloads the module.</summary>
    public void Dispose() => _pool.Dispose();

    private static CKM EcbMechanism(TokenKey k, KeyPart part) => k.Algorithm == KeyAlgorithm.Aes && part == KeyPart.Whole ? CKM.CKM_AES_ECB : CKM.CKM_DES3_ECB;

    private static void Finish(byte[] result, Span<byte> output)
    {
        result.CopyTo(output);
        Array.Clear(result);
    }

    private TokenKey Own(KeyHandle key) => key as TokenKey is { } k && ReferenceEquals(k.Engine, this)
        ? k
        : throw new ArgumentException("key handle belongs to another engine", nameof(key));
}

using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using Switch.Security.Keys;

namespace Switch.Security.Backends.Pkcs11;

/// <summary>
/// The token's key objects: creates keys as sensitive, non-extractable objects (with the single-DES halves and the
/// DUKPT variant the composed algorithms need), finds and deletes persistent ones by label, and derives keys inside
/// the token with CKM_*_ECB_ENCRYPT_DATA. Every object goes through the owner session of <see cref="Pkcs11SessionPool"/>.
/// </summary>
internal sealed class Pkcs11KeyVault(Pkcs11SessionPool pool)
{
    private static readonly byte[] DukptMask = Convert.FromHexString("C0C0C0C000000000C0C0C0C000000000");

    // A stored key is the key object plus its left/right single-DES halves and its DUKPT variant.
    private static readonly string[] LabelSuffixes = ["", ".L", ".R", ".V"];

    /// <summary>Creates a key (session object, or persistent under <paramref name="label"/>).</summary>
    public TokenKey Create(Pkcs11CipherEngine engine, KeyAlgorithm algorithm, ReadOnlySpan<byte> clearKey, string? label)
    {
        KeyLengths.Require(algorithm, clearKey.Length, "key");
        byte[] value = clearKey.ToArray();
        try
        {
            return pool.WithOwner((engine, algorithm, value, label), static (s, a) =>
            {
                (Pkcs11CipherEngine engine, KeyAlgorithm algorithm, byte[] value, string? label) = a;
                bool persistent = label is not null;
                if (algorithm == KeyAlgorithm.Aes) return new TokenKey(engine, algorithm, value.Length, CreateObject(s, CKK.CKK_AES, value, label), null, null, null, persistent);
                IObjectHandle whole = CreateObject(s, TdesType(value.Length), value, label);
                IObjectHandle left = CreateObject(s, CKK.CKK_DES2, [.. value.AsSpan(0, 8), .. value.AsSpan(0, 8)], label is null ? null : label + ".L");
                IObjectHandle right = CreateObject(s, CKK.CKK_DES2, [.. value.AsSpan(8, 8), .. value.AsSpan(8, 8)], label is null ? null : label + ".R");
                byte[] variant = new byte[value.Length];
                for (int i = 0; i < value.Length; i++) variant[i] = (byte)(value[i] ^ DukptMask[i % 16]);
                IObjectHandle dukpt = CreateObject(s, TdesType(value.Length), variant, label is null ? null : label + ".V");
                Array.Clear(variant);
                return new TokenKey(engine, algorithm, value.Length, whole, left, right, dukpt, persistent);
            });
        }
        finally
        {
            Array.Clear(value);
        }
    }

    /// <summary>The persistent key stored under <paramref name="label"/>, or null.</summary>
    public TokenKey? Find(Pkcs11CipherEngine engine, string label) => pool.WithOwner((engine, label), static (s, a) =>
    {
        IObjectHandle? whole = FindOne(s, a.label);
        if (whole is null) return null;
        var type = (CKK)s.GetAttributeValue(whole, [CKA.CKA_KEY_TYPE])[0].GetValueAsUlong();
        KeyAlgorithm algorithm = type == CKK.CKK_AES ? KeyAlgorithm.Aes : KeyAlgorithm.Tdes;
        int length = type switch
        {
            CKK.CKK_DES2 => 16,
            CKK.CKK_DES3 => 24,
            _ => (int)s.GetAttributeValue(whole, [CKA.CKA_VALUE_LEN])[0].GetValueAsUlong(),
        };
        return new TokenKey(a.engine, algorithm, length, whole, FindOne(s, a.label + ".L"), FindOne(s, a.label + ".R"), FindOne(s, a.label + ".V"), persistent: true);
    });

    /// <summary>Destroys the objects stored under <paramref name="label"/>; false when there were none.</summary>
    public bool Delete(string label) => pool.WithOwner(label, static (s, l) =>
    {
        bool any = false;
        foreach (string suffix in LabelSuffixes)
        {
            if (FindOne(s, l + suffix) is not { } h) continue;
            s.DestroyObject(h);
            any = true;
        }
        return any;
    });

    /// <summary>
    /// A key derived inside the token: the ECB encryption of <paramref name="data"/> under the parent, truncated to
    /// <paramref name="keyBytes"/> (X9.24-3 derivation, EMV master and session keys). TDES keys get their halves derived
    /// the same way (ECB(parent, d0 ‖ d0) = K_L ‖ K_L); nothing passes through process memory.
    /// </summary>
    public TokenKey Derive(Pkcs11CipherEngine engine, TokenKey parent, KeyAlgorithm derivedAlgorithm, ReadOnlySpan<byte> data, int keyBytes) =>
        pool.WithOwner((engine, parent, derivedAlgorithm, bytes: data.ToArray(), keyBytes), static (s, a) =>
        {
            if (a.derivedAlgorithm == KeyAlgorithm.Aes) return new TokenKey(a.engine, a.derivedAlgorithm, a.keyBytes, DeriveObject(s, a.parent, CKK.CKK_AES, a.bytes, a.keyBytes), null, null, null, false);
            IObjectHandle whole = DeriveObject(s, a.parent, TdesType(a.keyBytes), a.bytes, a.keyBytes);
            IObjectHandle left = DeriveObject(s, a.parent, CKK.CKK_DES2, [.. a.bytes.AsSpan(0, 8), .. a.bytes.AsSpan(0, 8)], 16);
            IObjectHandle right = DeriveObject(s, a.parent, CKK.CKK_DES2, [.. a.bytes.AsSpan(8, 8), .. a.bytes.AsSpan(8, 8)], 16);
            return new TokenKey(a.engine, a.derivedAlgorithm, a.keyBytes, whole, left, right, null, false);
        });

    /// <summary>Destroys session objects (a key handle's disposal).</summary>
    public void Destroy(IObjectHandle?[] objects)
    {
        foreach (IObjectHandle? h in objects)
        {
            if (h is null) continue;
            try { pool.WithOwner(h, static (s, o) => { s.DestroyObject(o); return 0; }); }
            catch (IOException) { /* token gone: its session objects went with it */ }
            catch (HsmErrorException) { /* already destroyed */ }
        }
    }

    /// <summary>How many secret-key objects the owner session can see (tests prove that a cached load creates none).</summary>
    public int CountSecretKeyObjects() => pool.WithOwner(0, static (s, _) =>
        s.FindAllObjects([s.Factories.ObjectAttributeFactory.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY)]).Count);

    /// <summary>True if any of the key's objects would reveal CKA_VALUE or could be wrapped out.</summary>
    public bool WouldRevealValue(TokenKey key) => pool.WithOwner(key, static (s, k) =>
    {
        foreach (IObjectHandle? h in k.Objects)
        {
            if (h is null) continue;
            var attributes = s.GetAttributeValue(h, [CKA.CKA_VALUE, CKA.CKA_EXTRACTABLE, CKA.CKA_SENSITIVE]);
            if (!attributes[0].CannotBeRead || attributes[1].GetValueAsBool() || !attributes[2].GetValueAsBool()) return true;
        }
        return false;
    });

    private static CKK TdesType(int length) => length == 16 ? CKK.CKK_DES2 : CKK.CKK_DES3;

    private static IObjectHandle? FindOne(ISession s, string label)
    {
        var f = s.Factories.ObjectAttributeFactory;
        var found = s.FindAllObjects([f.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY), f.Create(CKA.CKA_LABEL, label)]);
        return found.Count > 0 ? found[0] : null;
    }

    private static List<IObjectAttribute> Template(ISession s, CKK type, string? label)
    {
        var f = s.Factories.ObjectAttributeFactory;
        var attributes = new List<IObjectAttribute>
        {
            f.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
            f.Create(CKA.CKA_KEY_TYPE, type),
            // Labelled keys are the key store's persistent token objects; the rest live only as long as the session.
            f.Create(CKA.CKA_TOKEN, label is not null),
            f.Create(CKA.CKA_PRIVATE, true),
            f.Create(CKA.CKA_SENSITIVE, true),
            f.Create(CKA.CKA_EXTRACTABLE, false),
            f.Create(CKA.CKA_ENCRYPT, true),
            f.Create(CKA.CKA_DECRYPT, true),
            f.Create(CKA.CKA_SIGN, true),
            f.Create(CKA.CKA_VERIFY, true),
            f.Create(CKA.CKA_DERIVE, true),
        };
        if (label is not null) attributes.Add(f.Create(CKA.CKA_LABEL, label));
        return attributes;
    }

    private static IObjectHandle CreateObject(ISession s, CKK type, byte[] value, string? label = null)
    {
        var template = Template(s, type, label);
        template.Add(s.Factories.ObjectAttributeFactory.Create(CKA.CKA_VALUE, value));
        return s.CreateObject(template);
    }

    private static IObjectHandle DeriveObject(ISession s, TokenKey parent, CKK type, byte[] data, int keyBytes)
    {
        var parameters = s.Factories.MechanismParamsFactory.CreateCkKeyDerivationStringData(data);
        CKM mechanism = parent.Algorithm == KeyAlgorithm.Aes ? CKM.CKM_AES_ECB_ENCRYPT_DATA : CKM.CKM_DES3_ECB_ENCRYPT_DATA;
        var template = Template(s, type, null);
        if (type == CKK.CKK_AES) template.Add(s.Factories.ObjectAttributeFactory.Create(CKA.CKA_VALUE_LEN, (ulong)keyBytes));
        return s.DeriveKey(s.Factories.MechanismFactory.Create(mechanism, parameters), parent.Object(KeyPart.Whole), template);
    }
}

/// <summary>A key as token objects: the key and the derived objects composed algorithms need.</summary>
internal sealed class TokenKey(Pkcs11CipherEngine engine, KeyAlgorithm algorithm, int length, IObjectHandle whole, IObjectHandle? left, IObjectHandle? right, IObjectHandle? variant, bool persistent)
    : KeyHandle(algorithm, length)
{
    private int _destroyed;

    /// <summary>The engine that made the key.</summary>
    public Pkcs11CipherEngine Engine { get; } = engine;

    /// <summary>Every object of the key (some null).</summary>
    public IObjectHandle?[] Objects => [whole, left, right, variant];

    /// <summary>The object for <paramref name="part"/>, or an input error when the key has none (an AES key has no halves).</summary>
    public IObjectHandle Object(KeyPart part) => part switch
    {
        KeyPart.Whole => whole,
        KeyPart.Left => left,
        KeyPart.Right => right,
        KeyPart.DukptVariant => variant,
        _ => null,
    } ?? throw new SecurityInputException($"key: this operation needs a TDES key ({part} half not available)", SecurityInputProblem.Key);

    protected override void Dispose(bool disposing)
    {
        // Persistent (key store) objects outlive the handle; session objects are destroyed with it.
        if (disposing && !persistent && Interlocked.Exchange(ref _destroyed, 1) == 0) Engine.DestroyObjects(Objects);
        base.Dispose(disposing);
    }
}

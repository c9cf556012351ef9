using System.Security.Cryptography;
using Switch.Security.Cvv;
using Switch.Security.Dukpt;
using Switch.Security.Emv;
using Switch.Security.Keys;
using Switch.Security.Mac;
using Switch.Security.Pin;
using Switch.Security.Primitives;

namespace Switch.Security.Backends;

/// <summary>
/// <see cref="ISecurityModule"/> built from an <see cref="ICipherEngine"/>'s native ECB/CBC/CMAC calls: the software
/// back end and the PKCS#11 back end share every composed algorithm, so they cannot drift apart. Operations complete
/// synchronously (the engines are in-process or native calls), so the returned ValueTasks allocate nothing.
/// </summary>
/// <param name="engine">The engine doing the primitive operations.</param>
/// <param name="lmk">LMK for keys loaded from the key store (optional).</param>
/// <param name="ownsEngine">Dispose the engine with the module; false when one engine (a PKCS#11 library, which loads once per process) is shared.</param>
/// <param name="loadedKeysMax">Most stored keys kept loaded by reference; loads beyond it import a key the caller's <see cref="SecureKey"/> owns.</param>
public sealed class ComposedSecurityModule(ICipherEngine engine, Lmk? lmk = null, bool ownsEngine = true, int loadedKeysMax = 1024) : ISecurityTooling
{
    private readonly ICipherEngine _engine = engine;
    private readonly Lmk? _lmk = lmk;
    private readonly Dictionary<string, SecureKey> _loaded = new(StringComparer.Ordinal);
    private readonly Lock _loadGate = new();

    /// <inheritdoc />
    public string Name => _engine.Name;

    /// <inheritdoc />
    public ValueTask<SecureKey> ImportClearKeyAsync(KeyType type, KeyAlgorithm algorithm, ReadOnlyMemory<byte> clearKey, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        KeyLengths.Require(algorithm, clearKey.Length, "key");
        WeakKeys.Refuse(algorithm, clearKey.Span, "key");
        KeyHandle handle = _engine.Import(algorithm, clearKey.Span);
        return new(new SecureKey(type, algorithm, clearKey.Length, handle, null));
    }

    /// <summary>Stored keys currently kept loaded by reference.</summary>
    public int LoadedKeyCount
    {
        get
        {
            lock (_loadGate) return _loaded.Count;
        }
    }

    /// <inheritdoc />
    public ValueTask<SecureKey> LoadStoredKeyAsync(StoredKey key, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        // Keyed by everything that identifies the material: a re-imported key under the same name is a new entry.
        string id = string.Concat(key.Name, "\n", key.Cryptogram, "\n", key.Kcv);
        lock (_loadGate)
        {
            if (_loaded.TryGetValue(id, out SecureKey? cached)) return new(cached);
            KeyHandle handle = LoadHandle(key, out KeyAlgorithm algorithm, out int length);
            bool keep = _loaded.Count < loadedKeysMax;
            var loaded = new SecureKey(key.Type, algorithm, length, handle, null, ownsHandle: !keep);
            if (keep) _loaded.Add(id, loaded);
            return new(loaded);
        }
    }

    private KeyHandle LoadHandle(StoredKey key, out KeyAlgorithm algorithm, out int length)
    {
        if (key.Cryptogram.StartsWith(IKeyVault.ReferencePrefix, StringComparison.Ordinal))
        {
            string label = key.Cryptogram[IKeyVault.ReferencePrefix.Length..];
            KeyHandle found = (_engine as IKeyVault)?.Find(label)
                ?? throw new SecurityInputException($"key '{key.Name}': not found on the {Name} back end (label '{label}')", SecurityInputProblem.Key);
            algorithm = found.Algorithm;
            length = found.LengthBytes;
            return found;
        }
        if (_lmk is null) throw new InvalidOperationException($"the {Name} back end was opened without an LMK; stored keys cannot be loaded");
        Span<byte> clear = stackalloc byte[32];
        try
        {
            int n = _lmk.Unwrap(key.Cryptogram, clear, out KeyType type, out algorithm);
            if (type != key.Type || algorithm != key.Algorithm) throw new SecurityInputException($"key '{key.Name}': cryptogram header does not match the stored type/algorithm", SecurityInputProblem.Key);
            length = n;
            return _engine.Import(algorithm, clear[..n]);
        }
        finally
        {
            clear.Clear();
        }
    }

    /// <inheritdoc />
    public ValueTask<string> KeyCheckValueAsync(SecureKey key, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        KeyHandle h = key.RequireHandle();
        Span<byte> zero = stackalloc byte[16];
        zero.Clear();
        Span<byte> output = stackalloc byte[16];
        _engine.EncryptEcb(h, KeyPart.Whole, zero[..h.BlockBytes], output[..h.BlockBytes]);
        return new(Hex.Format(output[..3]));
    }

    /// <inheritdoc />
    public ValueTask<int> TranslatePinAsync(EncryptedPinBlock source, string pan, SecureKey destinationKey, PinBlockFormat destinationFormat, Memory<byte> output, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        RequireType(destinationKey, "to_key", KeyType.Zpk, KeyType.Tpk);
        Span<char> pin = stackalloc char[PinBlock.PinDigitsMax];
        int length = DecryptPin(source, pan, pin);
        try
        {
            return new(EncryptPin(destinationKey, destinationFormat, pin[..length], pan, output.Span));
        }
        finally
        {
            pin.Clear();
        }
    }

    /// <inheritdoc />
    public ValueTask<int> TranslateDukptPinAsync(SecureKey bdk, ReadOnlyMemory<byte> ksn, PinBlockFormat sourceFormat, ReadOnlyMemory<byte> block, string pan, SecureKey destinationKey, PinBlockFormat destinationFormat, Memory<byte> output, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        RequireType(bdk, "bdk", KeyType.Bdk);
        using var key = new SecureKey(KeyType.Tpk, bdk.Algorithm, bdk.Algorithm == KeyAlgorithm.Aes ? bdk.LengthBytes : 16, DukptPinKey(bdk, ksn.Span), null);
        return TranslatePinAsync(new EncryptedPinBlock(key, sourceFormat, block), pan, destinationKey, destinationFormat, output, ct);
    }

    /// <inheritdoc />
    public ValueTask<bool> VerifyPinIbm3624Async(EncryptedPinBlock pin, string pan, SecureKey pvk, ReadOnlyMemory<byte> decimalizationTable, string validationData, string offset, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        RequireType(pvk, "pvk", KeyType.Pvk);
        PinVerification.RequireTable(decimalizationTable.Span);
        Digits.Require(offset, "offset", PinBlock.PinDigitsMin, PinBlock.PinDigitsMax);
        Span<char> clear = stackalloc char[PinBlock.PinDigitsMax];
        Span<char> natural = stackalloc char[PinBlock.PinDigitsMax];
        Span<char> computed = stackalloc char[PinBlock.PinDigitsMax];
        try
        {
            int length = DecryptPin(pin, pan, clear);
            if (length < offset.Length) return new(false);
            PinVerification.NaturalPin(_engine, pvk.RequireHandle(), decimalizationTable.Span, validationData, offset.Length, natural);
            PinVerification.Offset(clear[..length], natural, offset.Length, computed);
            return new(FixedTimeEquals(computed[..offset.Length], offset));
        }
        finally
        {
            clear.Clear(); natural.Clear();
        }
    }

    /// <inheritdoc />
    public ValueTask<bool> VerifyPinPvvAsync(EncryptedPinBlock pin, string pan, SecureKey pvk, int pvki, string pvv, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        RequireType(pvk, "pvk", KeyType.Pvk);
        Digits.Require(pvv, "pvv", 4, 4);
        Span<char> clear = stackalloc char[PinBlock.PinDigitsMax];
        Span<char> computed = stackalloc char[4];
        try
        {
            int length = DecryptPin(pin, pan, clear);
            PinVerification.Pvv(_engine, pvk.RequireHandle(), pan, clear[..length], pvki, computed);
            return new(FixedTimeEquals(computed, pvv));
        }
        finally
        {
            clear.Clear();
        }
    }

    /// <inheritdoc />
    public ValueTask<string> GeneratePvvAsync(SecureKey pvk, string pan, string pin, int pvki, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        RequireType(pvk, "pvk", KeyType.Pvk);
        Span<char> pvv = stackalloc char[4];
        PinVerification.Pvv(_engine, pvk.RequireHandle(), pan, pin, pvki, pvv);
        return new(pvv.ToString());
    }

    /// <inheritdoc />
    public ValueTask<string> GenerateIbm3624OffsetAsync(SecureKey pvk, string pin, ReadOnlyMemory<byte> decimalizationTable, int pinLength, string validationData, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        RequireType(pvk, "pvk", KeyType.Pvk);
        PinBlock.CheckPin(pin);
        PinVerification.RequireTable(decimalizationTable.Span);
        Span<char> natural = stackalloc char[PinBlock.PinDigitsMax];
        Span<char> offset = stackalloc char[PinBlock.PinDigitsMax];
        PinVerification.NaturalPin(_engine, pvk.RequireHandle(), decimalizationTable.Span, validationData, pinLength, natural);
        PinVerification.Offset(pin, natural, pinLength, offset);
        natural.Clear();
        return new(offset[..pinLength].ToString());
    }

    /// <inheritdoc />
    public ValueTask<int> GenerateMacAsync(SecureKey key, MacAlgorithm algorithm, MacPadding padding, ReadOnlyMemory<byte> data, Memory<byte> mac, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        RequireType(key, "key", KeyType.Tak, KeyType.Zak);
        return new(MacComputer.Compute(_engine, key.RequireHandle(), algorithm, padding, data.Span, mac.Span));
    }

    /// <inheritdoc />
    public ValueTask<bool> VerifyMacAsync(SecureKey key, MacAlgorithm algorithm, MacPadding padding, ReadOnlyMemory<byte> data, ReadOnlyMemory<byte> mac, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        RequireType(key, "key", KeyType.Tak, KeyType.Zak);
        return new(MacComputer.Verify(_engine, key.RequireHandle(), algorithm, padding, data.Span, mac.Span));
    }

    /// <inheritdoc />
    public ValueTask<string> GenerateCvvAsync(SecureKey cvk, string pan, string expiry, string serviceCode, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        RequireType(cvk, "cvk", KeyType.Cvk);
        Span<char> cvv = stackalloc char[3];
        CardVerification.Compute(_engine, cvk.RequireHandle(), pan, expiry, serviceCode, cvv);
        return new(cvv.ToString());
    }

    /// <inheritdoc />
    public ValueTask<bool> VerifyCvvAsync(SecureKey cvk, string pan, string expiry, string serviceCode, string cvv, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        RequireType(cvk, "cvk", KeyType.Cvk);
        Digits.Require(cvv, "cvv", 3, 3);
        Span<char> computed = stackalloc char[3];
        CardVerification.Compute(_engine, cvk.RequireHandle(), pan, expiry, serviceCode, computed);
        return new(FixedTimeEquals(computed, cvv));
    }

    /// <inheritdoc />
    public ValueTask<byte[]> GenerateArqcAsync(SecureKey imk, EmvScheme scheme, EmvCardContext card, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        RequireType(imk, "imk", KeyType.ImkAc);
        var arqc = new byte[8];
        EmvCryptograms.Arqc(_engine, imk.RequireHandle(), scheme, card, data.Span, arqc);
        return new(arqc);
    }

    /// <inheritdoc />
    public ValueTask<bool> VerifyArqcAsync(SecureKey imk, EmvScheme scheme, EmvCardContext card, ReadOnlyMemory<byte> data, ReadOnlyMemory<byte> arqc, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        RequireType(imk, "imk", KeyType.ImkAc);
        return new(EmvCryptograms.VerifyArqc(_engine, imk.RequireHandle(), scheme, card, data.Span, arqc.Span));
    }

    /// <inheritdoc />
    public ValueTask<byte[]> GenerateArpcMethod1Async(SecureKey imk, EmvScheme scheme, EmvCardContext card, ReadOnlyMemory<byte> arqc, ReadOnlyMemory<byte> arc, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        RequireType(imk, "imk", KeyType.ImkAc);
        var arpc = new byte[8];
        EmvCryptograms.Arpc1(_engine, imk.RequireHandle(), scheme, card, arqc.Span, arc.Span, arpc);
        return new(arpc);
    }

    /// <inheritdoc />
    public ValueTask<byte[]> GenerateArpcMethod2Async(SecureKey imk, EmvScheme scheme, EmvCardContext card, ReadOnlyMemory<byte> arqc, ReadOnlyMemory<byte> csu, ReadOnlyMemory<byte> proprietaryData, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        RequireType(imk, "imk", KeyType.ImkAc);
        var arpc = new byte[4];
        EmvCryptograms.Arpc2(_engine, imk.RequireHandle(), scheme, card, arqc.Span, csu.Span, proprietaryData.Span, arpc);
        return new(arpc);
    }

    /// <inheritdoc />
    public ValueTask<byte[]> EncodePinBlock4Async(SecureKey key, string pin, string pan, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var block = new byte[16];
        EncryptPin(key, PinBlockFormat.Iso4, pin, pan, block);
        return new(block);
    }

    /// <inheritdoc />
    public ValueTask<string> RevealPinAsync(EncryptedPinBlock pin, string? pan, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        Span<char> clear = stackalloc char[PinBlock.PinDigitsMax];
        int length = DecryptPin(pin, pan, clear);
        string result = clear[..length].ToString();
        clear.Clear();
        return new(result);
    }

    /// <inheritdoc />
    public ValueTask<DukptTdesKeys> DeriveDukptTdesAsync(SecureKey bdk, ReadOnlyMemory<byte> ksn, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        TdesDukpt.RequireKsn(ksn.Span);
        var ipek = new byte[16];
        TdesDukpt.Ipek(_engine, bdk.RequireHandle(), ksn.Span, ipek);
        var current = new byte[16];
        TdesDukpt.TransactionKey(ipek, ksn.Span, current);
        byte[] pin = (byte[])current.Clone(), mac = (byte[])current.Clone(), data = (byte[])current.Clone();
        TdesDukpt.ApplyVariant(pin, TdesDukpt.Variant.Pin);
        TdesDukpt.ApplyVariant(mac, TdesDukpt.Variant.Mac);
        TdesDukpt.ApplyVariant(data, TdesDukpt.Variant.Data);
        CryptographicOperations.ZeroMemory(current);
        return new(new DukptTdesKeys(ipek, pin, mac, data));
    }

    /// <inheritdoc />
    public ValueTask<DukptAesKeys> DeriveDukptAesAsync(SecureKey bdk, int keyBytes, ReadOnlyMemory<byte> ksn, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        var initial = new byte[keyBytes];
        AesDukpt.InitialKey(_engine, bdk.RequireHandle(), keyBytes, ksn.Span, initial);
        var derivation = new byte[keyBytes];
        AesDukpt.DerivationKey(initial, ksn.Span, derivation);
        byte[] pin = new byte[keyBytes], mac = new byte[keyBytes], data = new byte[keyBytes];
        AesDukpt.WorkingKey(derivation, AesDukpt.Usage.PinEncryption, ksn.Span, pin);
        AesDukpt.WorkingKey(derivation, AesDukpt.Usage.MacGeneration, ksn.Span, mac);
        AesDukpt.WorkingKey(derivation, AesDukpt.Usage.DataEncrypt, ksn.Span, data);
        CryptographicOperations.ZeroMemory(derivation);
        return new(new DukptAesKeys(initial, pin, mac, data));
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        lock (_loadGate)
        {
            foreach (SecureKey k in _loaded.Values) k.RequireHandle().Dispose();
            _loaded.Clear();
        }
        if (ownsEngine) _engine.Dispose();
        return ValueTask.CompletedTask;
    }

    // AES DUKPT derives every key inside the engine (on a token: C_DeriveKey, never in process memory). TDES DUKPT's
    // non-reversible key generation XORs key halves with data, which PKCS#11 has no mechanism for: the IPEK comes
    // from the engine's ECB on the BDK, the rest is computed here and only the PIN key is loaded back.
    private KeyHandle DukptPinKey(SecureKey bdk, ReadOnlySpan<byte> ksn)
    {
        if (bdk.Algorithm == KeyAlgorithm.Aes) return AesDukpt.WorkingKeyHandle(_engine, bdk.RequireHandle(), AesDukpt.Usage.PinEncryption, ksn);
        Span<byte> pinKey = stackalloc byte[16];
        try
        {
            TdesDukpt.Ipek(_engine, bdk.RequireHandle(), ksn, pinKey);
            TdesDukpt.TransactionKey(pinKey, ksn, pinKey);
            TdesDukpt.ApplyVariant(pinKey, TdesDukpt.Variant.Pin);
            return _engine.Import(KeyAlgorithm.Tdes, pinKey);
        }
        finally
        {
            pinKey.Clear();
        }
    }

    /// <summary>Deciphers a PIN block into <paramref name="pin"/>; returns the PIN length. Input errors say "wrong key, PAN or format".</summary>
    private int DecryptPin(EncryptedPinBlock source, string? pan, Span<char> pin)
    {
        RequireType(source.Key, "from_key", KeyType.Tpk, KeyType.Zpk);
        KeyHandle key = source.Key.RequireHandle();
        ReadOnlySpan<byte> block = source.Block.Span;
        int expected = PinBlockFormats.BlockBytes(source.Format);
        if (block.Length != expected) throw new SecurityInputException($"block: a format {(int)source.Format} PIN block must be {expected} bytes, got {block.Length}");
        if (PinBlockFormats.UsesPan(source.Format)) PinBlock.CheckPan(pan);
        if (source.Format == PinBlockFormat.Iso4)
        {
            if (key.Algorithm != KeyAlgorithm.Aes) throw new SecurityInputException("key: format 4 PIN blocks need an AES key");
            Span<byte> work = stackalloc byte[16];
            Span<byte> panField = stackalloc byte[16];
            _engine.DecryptEcb(key, KeyPart.Whole, block, work);
            PinBlock.PanField4(pan, panField);
            for (int i = 0; i < 16; i++) work[i] ^= panField[i];
            _engine.DecryptEcb(key, KeyPart.Whole, work, work);
            try { return PinBlock.DecodePinField4(work, pin); }
            finally { work.Clear(); }
        }
        if (key.Algorithm != KeyAlgorithm.Tdes) throw new SecurityInputException($"key: format {(int)source.Format} PIN blocks need a TDES key");
        Span<byte> clear = stackalloc byte[8];
        _engine.DecryptEcb(key, KeyPart.Whole, block, clear);
        try { return PinBlock.Decode(source.Format, clear, pan, pin); }
        finally { clear.Clear(); }
    }

    private int EncryptPin(SecureKey destination, PinBlockFormat format, ReadOnlySpan<char> pin, string? pan, Span<byte> output)
    {
        KeyHandle key = destination.RequireHandle();
        if (PinBlockFormats.UsesPan(format)) PinBlock.CheckPan(pan);
        if (format == PinBlockFormat.Iso4)
        {
            if (key.Algorithm != KeyAlgorithm.Aes) throw new SecurityInputException("to_key: format 4 PIN blocks need an AES key");
            Span<byte> work = stackalloc byte[16];
            Span<byte> panField = stackalloc byte[16];
            PinBlock.EncodePinField4(pin, work);
            _engine.EncryptEcb(key, KeyPart.Whole, work, work);
            PinBlock.PanField4(pan, panField);
            for (int i = 0; i < 16; i++) work[i] ^= panField[i];
            _engine.EncryptEcb(key, KeyPart.Whole, work, output[..16]);
            return 16;
        }
        if (key.Algorithm != KeyAlgorithm.Tdes) throw new SecurityInputException($"to_key: format {(int)format} PIN blocks need a TDES key");
        Span<byte> clear = stackalloc byte[8];
        PinBlock.Encode(format, pin, pan, clear);
        _engine.EncryptEcb(key, KeyPart.Whole, clear, output[..8]);
        clear.Clear();
        return 8;
    }

    private static void RequireType(SecureKey key, string field, params ReadOnlySpan<KeyType> allowed)
    {
        if (key.Type == KeyType.Generic) return;
        foreach (KeyType t in allowed)
        {
            if (key.Type == t) return;
        }
        throw new SecurityInputException($"{field}: a {key.Type} key cannot be used for this operation");
    }

    private static bool FixedTimeEquals(ReadOnlySpan<char> a, ReadOnlySpan<char> b) =>
        a.Length == b.Length && CryptographicOperations.FixedTimeEquals(System.Runtime.InteropServices.MemoryMarshal.AsBytes(a), System.Runtime.InteropServices.MemoryMarshal.AsBytes(b));
}

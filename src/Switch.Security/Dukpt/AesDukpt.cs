using System.Buffers.Binary;
using System.Security.Cryptography;
using Switch.Security.Backends;
using Switch.Security.Keys;

namespace Switch.Security.Dukpt;

/// <summary>ANSI X9.24-3-2017 AES DUKPT: initial key, intermediate derivation keys and working keys.</summary>
public static class AesDukpt
{
    /// <summary>KSN length in bytes: 8-byte initial key ID ‖ 4-byte transaction counter.</summary>
    public const int KsnBytes = 12;

    /// <summary>Key usage indicators of the derivation data (X9.24-3 table 2).</summary>
    public enum Usage : ushort
    {
        /// <summary>Key encryption key.</summary>
        KeyEncryption = 0x0002,
        /// <summary>PIN encryption.</summary>
        PinEncryption = 0x1000,
        /// <summary>Message authentication, generation.</summary>
        MacGeneration = 0x2000,
        /// <summary>Message authentication, verification.</summary>
        MacVerification = 0x2001,
        /// <summary>Message authentication, both ways.</summary>
        MacBoth = 0x2002,
        /// <summary>Data encryption, encrypt.</summary>
        DataEncrypt = 0x3000,
        /// <summary>Data encryption, decrypt.</summary>
        DataDecrypt = 0x3001,
        /// <summary>Data encryption, both ways.</summary>
        DataBoth = 0x3002,
        /// <summary>Key derivation (intermediate keys).</summary>
        KeyDerivation = 0x8000,
        /// <summary>Initial key derivation from the BDK.</summary>
        KeyDerivationInitialKey = 0x8001,
    }

    /// <summary>Parses aes128|aes192|aes256 to a key length in bytes.</summary>
    public static int ParseKeyType(string? text) => text?.ToLowerInvariant() switch
    {
        "aes128" => 16,
        "aes192" => 24,
        "aes256" => 32,
        _ => throw new SecurityInputException("key_type: must be aes128, aes192 or aes256"),
    };

    /// <summary>Checks the KSN length.</summary>
    public static void RequireKsn(ReadOnlySpan<byte> ksn)
    {
        if (ksn.Length != KsnBytes) throw new SecurityInputException($"ksn: an AES DUKPT KSN must be {KsnBytes} bytes (24 hex digits), got {ksn.Length}");
    }

    /// <summary>Initial DUKPT key from the BDK held by the engine, for the KSN's initial key ID.</summary>
    public static void InitialKey(ICipherEngine engine, KeyHandle bdk, int keyBytes, ReadOnlySpan<byte> ksn, Span<byte> initialKey)
    {
        RequireKsn(ksn);
        if (bdk.Algorithm != KeyAlgorithm.Aes) throw new SecurityInputException("bdk: AES DUKPT needs an AES BDK");
        if (bdk.LengthBytes != keyBytes)
        {
            // X9.24-3 forbids deriving a key of a different strength than its parent.
            throw new SecurityInputException($"bdk: key_type aes{keyBytes * 8} needs a {keyBytes}-byte BDK, got {bdk.LengthBytes}");
        }
        Span<byte> data = stackalloc byte[32];
        int blocks = (keyBytes + 15) / 16;
        for (int i = 0; i < blocks; i++) DerivationData(data.Slice(i * 16, 16), (byte)(i + 1), Usage.KeyDerivationInitialKey, keyBytes, ksn, 0);
        Span<byte> output = stackalloc byte[32];
        engine.EncryptEcb(bdk, KeyPart.Whole, data[..(blocks * 16)], output[..(blocks * 16)]);
        output[..keyBytes].CopyTo(initialKey);
        output.Clear();
    }

    /// <summary>
    /// A working key of <paramref name="usage"/> for the KSN, derived key by key inside the engine (initial key,
    /// intermediate keys, working key: each the engine's ECB encryption of derivation data under its parent, C_DeriveKey
    /// on a token), so on a PKCS#11 token no DUKPT key enters process memory. The caller disposes the handle.
    /// </summary>
    public static KeyHandle WorkingKeyHandle(ICipherEngine engine, KeyHandle bdk, Usage usage, ReadOnlySpan<byte> ksn)
    {
        RequireKsn(ksn);
        if (bdk.Algorithm != KeyAlgorithm.Aes) throw new SecurityInputException("bdk: AES DUKPT needs an AES BDK", SecurityInputProblem.Key);
        int keyBytes = bdk.LengthBytes;
        int dataBytes = (keyBytes + 15) / 16 * 16;
        Span<byte> data = stackalloc byte[32];
        FillDerivationData(data[..dataBytes], Usage.KeyDerivationInitialKey, keyBytes, ksn, 0);
        KeyHandle current = engine.DeriveByEncryption(bdk, KeyAlgorithm.Aes, data[..dataBytes], keyBytes);
        try
        {
            uint counter = BinaryPrimitives.ReadUInt32BigEndian(ksn[8..]);
            uint working = 0;
            for (uint mask = 0x80000000; mask != 0; mask >>= 1)
            {
                if ((counter & mask) == 0) continue;
                working |= mask;
                FillDerivationData(data[..dataBytes], Usage.KeyDerivation, keyBytes, ksn, working);
                KeyHandle next = engine.DeriveByEncryption(current, KeyAlgorithm.Aes, data[..dataBytes], keyBytes);
                current.Dispose();
                current = next;
            }
            FillDerivationData(data[..dataBytes], usage, keyBytes, ksn, counter);
            return engine.DeriveByEncryption(current, KeyAlgorithm.Aes, data[..dataBytes], keyBytes);
        }
        finally
        {
            current.Dispose();
        }
    }

    private static void FillDerivationData(Span<byte> data, Usage usage, int keyBytes, ReadOnlySpan<byte> ksn, uint counter)
    {
        for (int i = 0; i < data.Length / 16; i++) DerivationData(data.Slice(i * 16, 16), (byte)(i + 1), usage, keyBytes, ksn, counter);
    }

    /// <summary>The intermediate derivation key for the KSN's counter (the "transaction key" of the X9.24-3 test vectors).</summary>
    public static void DerivationKey(ReadOnlySpan<byte> initialKey, ReadOnlySpan<byte> ksn, Span<byte> derivationKey)
    {
        RequireKsn(ksn);
        int keyBytes = initialKey.Length;
        uint counter = BinaryPrimitives.ReadUInt32BigEndian(ksn[8..]);
        initialKey.CopyTo(derivationKey);
        uint working = 0;
        for (uint mask = 0x80000000; mask != 0; mask >>= 1)
        {
            if ((counter & mask) == 0) continue;
            working |= mask;
            Derive(derivationKey[..keyBytes], Usage.KeyDerivation, keyBytes, ksn, working, derivationKey);
        }
    }

    /// <summary>A working key of the given usage derived from the derivation key for the KSN's counter.</summary>
    public static void WorkingKey(ReadOnlySpan<byte> derivationKey, Usage usage, ReadOnlySpan<byte> ksn, Span<byte> workingKey)
    {
        uint counter = BinaryPrimitives.ReadUInt32BigEndian(ksn[8..]);
        Derive(derivationKey, usage, derivationKey.Length, ksn, counter, workingKey);
    }

    private static void Derive(ReadOnlySpan<byte> parent, Usage usage, int keyBytes, ReadOnlySpan<byte> ksn, uint counter, Span<byte> output)
    {
        int blocks = (keyBytes + 15) / 16;
        Span<byte> data = stackalloc byte[32];
        Span<byte> result = stackalloc byte[32];
        for (int i = 0; i < blocks; i++) DerivationData(data.Slice(i * 16, 16), (byte)(i + 1), usage, keyBytes, ksn, counter);
        using (var aes = Aes.Create())
        {
            aes.SetKey(parent);
            aes.EncryptEcb(data[..(blocks * 16)], result[..(blocks * 16)], PaddingMode.None);
        }
        result[..keyBytes].CopyTo(output);
        result.Clear();
    }

    // Derivation data (X9.24-3 6.3.2): version 01, block counter, usage, algorithm, length in bits, then either the
    // whole initial key ID (initial key) or the derivation ID (rightmost 4 bytes of it) ‖ transaction counter.
    private static void DerivationData(Span<byte> data, byte blockCounter, Usage usage, int keyBytes, ReadOnlySpan<byte> ksn, uint counter)
    {
        data[0] = 0x01;
        data[1] = blockCounter;
        BinaryPrimitives.WriteUInt16BigEndian(data[2..], (ushort)usage);
        ushort algorithm = keyBytes switch { 16 => 0x0002, 24 => 0x0003, _ => 0x0004 };
        BinaryPrimitives.WriteUInt16BigEndian(data[4..], algorithm);
        BinaryPrimitives.WriteUInt16BigEndian(data[6..], (ushort)(keyBytes * 8));
        if (usage == Usage.KeyDerivationInitialKey)
        {
            ksn[..8].CopyTo(data[8..]);
        }
        else
        {
            ksn.Slice(4, 4).CopyTo(data[8..]);
            BinaryPrimitives.WriteUInt32BigEndian(data[12..], counter);
        }
    }
}

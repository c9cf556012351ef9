using Org.BouncyCastle.Crypto.Engines;
using Org.BouncyCastle.Crypto.Parameters;
using Switch.Security.Backends;
using Switch.Security.Keys;

namespace Switch.Security.Dukpt;

/// <summary>ANSI X9.24-1:2009 TDES DUKPT: IPEK, the current transaction key and its PIN/MAC/data variants.</summary>
public static class TdesDukpt
{
    /// <summary>KSN length in bytes (10).</summary>
    public const int KsnBytes = 10;

    private static readonly byte[] KeyMask = Convert.FromHexString("C0C0C0C000000000C0C0C0C000000000");
    private static readonly byte[] PinVariant = Convert.FromHexString("00000000000000FF00000000000000FF");
    private static readonly byte[] MacVariant = Convert.FromHexString("000000000000FF00000000000000FF00");
    private static readonly byte[] DataVariant = Convert.FromHexString("0000000000FF00000000000000FF0000");

    /// <summary>Which working key to produce from the transaction key.</summary>
    public enum Variant
    {
        /// <summary>The transaction key itself.</summary>
        None,
        /// <summary>PIN encryption variant.</summary>
        Pin,
        /// <summary>Request MAC variant.</summary>
        Mac,
        /// <summary>Request data variant, enciphered with itself.</summary>
        Data,
    }

    /// <summary>Checks the KSN length.</summary>
    public static void RequireKsn(ReadOnlySpan<byte> ksn)
    {
        if (ksn.Length != KsnBytes) throw new SecurityInputException($"ksn: a TDES DUKPT KSN must be {KsnBytes} bytes (20 hex digits), got {ksn.Length}");
    }

    /// <summary>IPEK = TDES(BDK, KSN₈ with counter cleared) ‖ TDES(BDK ⊕ C0C0C0C0…, same), computed by the engine holding the BDK.</summary>
    public static void Ipek(ICipherEngine engine, KeyHandle bdk, ReadOnlySpan<byte> ksn, Span<byte> ipek)
    {
        RequireKsn(ksn);
        if (bdk.Algorithm != KeyAlgorithm.Tdes || bdk.LengthBytes != 16) throw new SecurityInputException("bdk: a TDES DUKPT BDK must be a double-length (16-byte) TDES key");
        Span<byte> data = stackalloc byte[8];
        ksn[..8].CopyTo(data);
        data[7] &= 0xE0;
        engine.EncryptEcb(bdk, KeyPart.Whole, data, ipek[..8]);
        engine.EncryptEcb(bdk, KeyPart.DukptVariant, data, ipek.Slice(8, 8));
    }

    /// <summary>Runs the non-reversible key generation process from the IPEK for the KSN's 21-bit counter.</summary>
    public static void TransactionKey(ReadOnlySpan<byte> ipek, ReadOnlySpan<byte> ksn, Span<byte> key)
    {
        RequireKsn(ksn);
        key = key[..16];
        ipek[..16].CopyTo(key);
        Span<byte> register = stackalloc byte[8];
        ksn[2..].CopyTo(register);
        uint counter = ((uint)(register[5] & 0x1F) << 16) | ((uint)register[6] << 8) | register[7];
        register[5] &= 0xE0;
        register[6] = 0;
        register[7] = 0;
        for (uint bit = 1u << 20; bit != 0; bit >>= 1)
        {
            if ((counter & bit) == 0) continue;
            register[5] |= (byte)(bit >> 16);
            register[6] |= (byte)(bit >> 8);
            register[7] |= (byte)bit;
            NonReversibleStep(key, register);
        }
    }

    /// <summary>Applies a working-key variant to a transaction key in place.</summary>
    public static void ApplyVariant(Span<byte> key, Variant variant)
    {
        switch (variant)
        {
            case Variant.Pin: Xor(key, PinVariant); break;
            case Variant.Mac: Xor(key, MacVariant); break;
            case Variant.Data:
                Xor(key, DataVariant);
                // X9.24-1:2009: the data key is the variant key enciphered with itself, each half in TDES ECB.
                var tdes = new DesEdeEngine();
                tdes.Init(true, new KeyParameter(key[..16]));
                Span<byte> result = stackalloc byte[16];
                tdes.ProcessBlock(key[..8], result[..8]);
                tdes.ProcessBlock(key.Slice(8, 8), result[8..]);
                result.CopyTo(key);
                result.Clear();
                break;
        }
    }

    private static void NonReversibleStep(Span<byte> key, ReadOnlySpan<byte> register)
    {
        Span<byte> right = stackalloc byte[8];
        Span<byte> left = stackalloc byte[8];
        Span<byte> masked = stackalloc byte[16];
        HalfStep(key, register, right);
        key.CopyTo(masked);
        Xor(masked, KeyMask);
        HalfStep(masked, register, left);
        left.CopyTo(key[..8]);
        right.CopyTo(key.Slice(8, 8));
        masked.Clear(); left.Clear(); right.Clear();
    }

    // Output = DES(key-left, register ⊕ key-right) ⊕ key-right.
    private static void HalfStep(ReadOnlySpan<byte> key, ReadOnlySpan<byte> register, Span<byte> output)
    {
        Span<byte> block = stackalloc byte[8];
        for (int i = 0; i < 8; i++) block[i] = (byte)(register[i] ^ key[8 + i]);
        var des = new DesEngine();
        des.Init(true, new KeyParameter(key[..8]));
        des.ProcessBlock(block, output);
        for (int i = 0; i < 8; i++) output[i] ^= key[8 + i];
    }

    private static void Xor(Span<byte> target, ReadOnlySpan<byte> mask)
    {
        for (int i = 0; i < target.Length && i < mask.Length; i++) target[i] ^= mask[i];
    }
}

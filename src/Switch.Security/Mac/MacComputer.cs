using System.Buffers;
using System.Security.Cryptography;
using Switch.Security.Backends;

namespace Switch.Security.Mac;

/// <summary>ISO 9797-1 algorithms 1 and 3 and the CMACs, composed from a cipher engine's primitives.</summary>
public static class MacComputer
{
    /// <summary>Largest MAC input accepted (an ISO 8583 message is at most 64 KiB).</summary>
    public const int DataBytesMax = 128 * 1024;

    private const int StackBytesMax = 512;

    /// <summary>Writes the full final MAC block into <paramref name="mac"/>; returns its length.</summary>
    public static int Compute(ICipherEngine engine, KeyHandle key, MacAlgorithm alg, MacPadding padding, ReadOnlySpan<byte> data, Span<byte> mac)
    {
        if (data.Length > DataBytesMax) throw new SecurityInputException($"data: at most {DataBytesMax} bytes, got {data.Length}");
        RequireKey(key, alg);
        switch (alg)
        {
            case MacAlgorithm.AesCmac:
            case MacAlgorithm.TdesCmac:
                engine.Cmac(key, data, mac);
                return key.BlockBytes;
            default:
                CbcMac(engine, key, alg, padding, data, mac);
                return 8;
        }
    }

    /// <summary>Computes the MAC and compares it in constant time with <paramref name="expected"/> (which may be truncated, at least 4 bytes).</summary>
    public static bool Verify(ICipherEngine engine, KeyHandle key, MacAlgorithm alg, MacPadding padding, ReadOnlySpan<byte> data, ReadOnlySpan<byte> expected)
    {
        Span<byte> mac = stackalloc byte[16];
        int length = Compute(engine, key, alg, padding, data, mac);
        if (expected.Length < 4 || expected.Length > length) throw new SecurityInputException($"mac: must be 4 to {length} bytes, got {expected.Length}");
        return CryptographicOperations.FixedTimeEquals(mac[..expected.Length], expected);
    }

    private static void RequireKey(KeyHandle key, MacAlgorithm alg)
    {
        if (key.Algorithm != MacAlgorithms.KeyAlgorithm(alg))
        {
            throw new SecurityInputException($"key: {alg} needs a {Keys.KeyLengths.Name(MacAlgorithms.KeyAlgorithm(alg))} key");
        }
    }

    private static void CbcMac(ICipherEngine engine, KeyHandle key, MacAlgorithm alg, MacPadding padding, ReadOnlySpan<byte> data, Span<byte> mac)
    {
        int padded = PaddedLength(data.Length, padding);
        byte[]? rented = padded * 2 > StackBytesMax ? ArrayPool<byte>.Shared.Rent(padded * 2) : null;
        Span<byte> work = rented is null ? stackalloc byte[StackBytesMax] : rented;
        Span<byte> input = work[..padded];
        Span<byte> output = work.Slice(padded, padded);
        data.CopyTo(input);
        input[data.Length..].Clear();
        if (padding == MacPadding.Method2) input[data.Length] = 0x80;
        Span<byte> iv = stackalloc byte[8];
        iv.Clear();
        if (alg == MacAlgorithm.Iso9797Alg1)
        {
            engine.EncryptCbc(key, KeyPart.Whole, iv, input, output);
            output[^8..].CopyTo(mac);
        }
        else
        {
            // Retail MAC: single DES CBC under K1, then the final block is decrypted under K2 and re-encrypted under K1.
            engine.EncryptCbc(key, KeyPart.Left, iv, input, output);
            Span<byte> h = stackalloc byte[8];
            engine.DecryptEcb(key, KeyPart.Right, output[^8..], h);
            engine.EncryptEcb(key, KeyPart.Left, h, mac[..8]);
        }
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented, clearArray: true);
    }

    private static int PaddedLength(int length, MacPadding padding) => padding == MacPadding.Method2
        ? (length / 8 + 1) * 8
        : Math.Max(8, (length + 7) / 8 * 8);
}

using Switch.Security.Backends;

namespace Switch.Security.Mac;

/// <summary>CMAC (NIST SP 800-38B / RFC 4493) built from a block cipher's ECB operation.</summary>
public static class CmacCore
{
    /// <summary>Computes the full-block CMAC of <paramref name="data"/> with ECB calls on <paramref name="engine"/>.</summary>
    public static void Compute(ICipherEngine engine, KeyHandle key, ReadOnlySpan<byte> data, Span<byte> mac)
    {
        int n = key.BlockBytes;
        Span<byte> k1 = stackalloc byte[16];
        Span<byte> k2 = stackalloc byte[16];
        Span<byte> x = stackalloc byte[16];
        Span<byte> last = stackalloc byte[16];
        k1 = k1[..n]; k2 = k2[..n]; x = x[..n]; last = last[..n];

        // Subkeys: L = E(0^n); K1 = L<<1 ^ Rb if msb(L); K2 likewise from K1. Rb is 0x87 for 128-bit, 0x1B for 64-bit blocks.
        x.Clear();
        engine.EncryptEcb(key, KeyPart.Whole, x, x);
        byte rb = n == 16 ? (byte)0x87 : (byte)0x1B;
        ShiftLeftXor(x, k1, rb);
        ShiftLeftXor(k1, k2, rb);

        int blocks = data.Length == 0 ? 1 : (data.Length + n - 1) / n;
        bool complete = data.Length > 0 && data.Length % n == 0;
        int lastStart = (blocks - 1) * n;
        ReadOnlySpan<byte> tail = data[lastStart..];
        if (complete)
        {
            for (int i = 0; i < n; i++) last[i] = (byte)(tail[i] ^ k1[i]);
        }
        else
        {
            last.Clear();
            tail.CopyTo(last);
            last[tail.Length] = 0x80;
            for (int i = 0; i < n; i++) last[i] ^= k2[i];
        }

        x.Clear();
        for (int b = 0; b < blocks - 1; b++)
        {
            ReadOnlySpan<byte> block = data.Slice(b * n, n);
            for (int i = 0; i < n; i++) x[i] ^= block[i];
            engine.EncryptEcb(key, KeyPart.Whole, x, x);
        }
        for (int i = 0; i < n; i++) x[i] ^= last[i];
        engine.EncryptEcb(key, KeyPart.Whole, x, mac[..n]);
        k1.Clear(); k2.Clear();
    }

    private static void ShiftLeftXor(ReadOnlySpan<byte> input, Span<byte> output, byte rb)
    {
        bool msb = (input[0] & 0x80) != 0;
        for (int i = 0; i < input.Length - 1; i++) output[i] = (byte)((input[i] << 1) | (input[i + 1] >> 7));
        output[^1] = (byte)(input[^1] << 1);
        if (msb) output[^1] ^= rb;
    }
}

using Switch.Security.Backends;
using Switch.Security.Keys;
using Switch.Security.Primitives;

namespace Switch.Security.Cvv;

/// <summary>Visa CVV / Mastercard CVC (and CVV2 with service code 000, iCVV with 999) from a double-length CVK.</summary>
public static class CardVerification
{
    /// <summary>Computes the 3-digit value into <paramref name="cvv"/>.</summary>
    public static void Compute(ICipherEngine engine, KeyHandle cvk, ReadOnlySpan<char> pan, ReadOnlySpan<char> expiry, ReadOnlySpan<char> serviceCode, Span<char> cvv)
    {
        if (cvk.Algorithm != KeyAlgorithm.Tdes || cvk.LengthBytes != 16) throw new SecurityInputException("cvk: must be a double-length (16-byte) TDES key");
        Check(pan, expiry, serviceCode);
        // PAN ‖ expiry ‖ service code, zero-filled on the right to 32 digits, split into two 8-byte blocks.
        Span<byte> data = stackalloc byte[16];
        data.Clear();
        int nibble = 0;
        Append(data, pan, ref nibble);
        Append(data, expiry, ref nibble);
        Append(data, serviceCode, ref nibble);
        Span<byte> r = stackalloc byte[8];
        engine.EncryptEcb(cvk, KeyPart.Left, data[..8], r);
        for (int i = 0; i < 8; i++) r[i] ^= data[8 + i];
        engine.EncryptEcb(cvk, KeyPart.Whole, r, r);
        Decimalization.VisaDigits(r, cvv[..3]);
    }

    private static void Check(ReadOnlySpan<char> pan, ReadOnlySpan<char> expiry, ReadOnlySpan<char> serviceCode)
    {
        Digits.Require(pan.ToString(), "pan", 8, 19);
        Digits.Require(expiry.ToString(), "expiry", 4, 4);
        Digits.Require(serviceCode.ToString(), "service_code", 3, 3);
    }

    private static void Append(Span<byte> data, ReadOnlySpan<char> digits, ref int nibble)
    {
        foreach (char c in digits)
        {
            int d = c - '0';
            data[nibble >> 1] |= (byte)((nibble & 1) == 0 ? d << 4 : d);
            nibble++;
        }
    }
}

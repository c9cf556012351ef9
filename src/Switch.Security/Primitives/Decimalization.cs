namespace Switch.Security.Primitives;

/// <summary>Turning cipher output into decimal digits, as CVV, PVV and IBM 3624 prescribe.</summary>
public static class Decimalization
{
    /// <summary>
    /// Visa method: scan the hex digits left to right taking 0–9, then scan again taking A–F as 0–5, until
    /// <paramref name="output"/> is full.
    /// </summary>
    public static void VisaDigits(ReadOnlySpan<byte> cipher, Span<char> output)
    {
        int n = 0;
        for (int pass = 0; pass < 2 && n < output.Length; pass++)
        {
            for (int i = 0; i < cipher.Length * 2 && n < output.Length; i++)
            {
                int nibble = (i & 1) == 0 ? cipher[i >> 1] >> 4 : cipher[i >> 1] & 0x0F;
                if (pass == 0 && nibble <= 9) output[n++] = (char)('0' + nibble);
                else if (pass == 1 && nibble > 9) output[n++] = (char)('0' + nibble - 10);
            }
        }
    }

    /// <summary>Parses a 16-digit decimalization table (each entry 0–9).</summary>
    public static byte[] ParseTable(string? table)
    {
        string t = Digits.Require(table, "decimalization_table", 16, 16);
        var result = new byte[16];
        for (int i = 0; i < 16; i++) result[i] = (byte)(t[i] - '0');
        return result;
    }
}

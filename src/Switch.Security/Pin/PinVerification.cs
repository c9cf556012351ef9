using Switch.Security.Backends;
using Switch.Security.Keys;
using Switch.Security.Primitives;

namespace Switch.Security.Pin;

/// <summary>Visa PVV and IBM 3624 natural-PIN/offset calculations on a PIN verification key.</summary>
public static class PinVerification
{
    /// <summary>Visa PVV: TSP = 11 rightmost PAN digits before the check digit ‖ PVKI ‖ first 4 PIN digits, TDES, decimalize.</summary>
    public static void Pvv(ICipherEngine engine, KeyHandle pvk, ReadOnlySpan<char> pan, ReadOnlySpan<char> pin, int pvki, Span<char> pvv)
    {
        RequireTdes(pvk, "pvk");
        PinBlock.CheckPan(pan);
        PinBlock.CheckPin(pin);
        if (pvki is < 0 or > 9) throw new SecurityInputException("pvki: must be one digit 0-9");
        if (pan.Length < 12) throw new SecurityInputException("pan: PVV needs at least 12 digits");
        Span<char> tsp = stackalloc char[16];
        pan[^12..^1].CopyTo(tsp);
        tsp[11] = (char)('0' + pvki);
        pin[..4].CopyTo(tsp[12..]);
        Span<byte> block = stackalloc byte[8];
        for (int i = 0; i < 8; i++) block[i] = (byte)(((tsp[2 * i] - '0') << 4) | (tsp[2 * i + 1] - '0'));
        engine.EncryptEcb(pvk, KeyPart.Whole, block, block);
        Decimalization.VisaDigits(block, pvv[..4]);
        tsp.Clear();
        block.Clear();
    }

    /// <summary>IBM 3624 natural PIN: validation data (F-padded to 16 nibbles) under the PVK, decimalized, leftmost <paramref name="pinLength"/> digits.</summary>
    public static void NaturalPin(ICipherEngine engine, KeyHandle pvk, ReadOnlySpan<byte> decimalizationTable, ReadOnlySpan<char> validationData, int pinLength, Span<char> natural)
    {
        RequireTdes(pvk, "pvk");
        if (pinLength < PinBlock.PinDigitsMin || pinLength > PinBlock.PinDigitsMax) throw new SecurityInputException("pin_length: must be 4 to 12");
        if (validationData.Length is 0 or > 16) throw new SecurityInputException($"validation_data: must be 1 to 16 hex digits, got {validationData.Length}");
        Span<byte> block = stackalloc byte[8];
        for (int i = 0; i < 16; i++)
        {
            int nibble = i < validationData.Length ? HexNibble(validationData[i]) : 0xF;
            if ((i & 1) == 0) block[i >> 1] = (byte)(nibble << 4); else block[i >> 1] |= (byte)nibble;
        }
        engine.EncryptEcb(pvk, KeyPart.Whole, block, block);
        for (int i = 0; i < pinLength; i++)
        {
            int nibble = (i & 1) == 0 ? block[i >> 1] >> 4 : block[i >> 1] & 0x0F;
            natural[i] = (char)('0' + decimalizationTable[nibble]);
        }
        block.Clear();
    }

    /// <summary>Offset digit i = (PIN digit − natural digit) mod 10, over the leftmost <paramref name="pinLength"/> digits.</summary>
    public static void Offset(ReadOnlySpan<char> pin, ReadOnlySpan<char> natural, int pinLength, Span<char> offset)
    {
        if (pin.Length < pinLength) throw new SecurityInputException($"pin: shorter than pin_length {pinLength}", SecurityInputProblem.PinLength);
        for (int i = 0; i < pinLength; i++) offset[i] = (char)('0' + ((pin[i] - natural[i] + 10) % 10));
    }

    /// <summary>Checks a 16-entry decimalization table given as bytes.</summary>
    public static void RequireTable(ReadOnlySpan<byte> table)
    {
        if (table.Length != 16) throw new SecurityInputException("decimalization_table: must be 16 digits");
        foreach (byte b in table)
        {
            if (b > 9) throw new SecurityInputException("decimalization_table: entries must be 0-9");
        }
    }

    private static int HexNibble(char c)
    {
        if (!char.IsAsciiHexDigit(c)) throw new SecurityInputException("validation_data: must be hex digits");
        return Hex.Nibble(c);
    }

    private static void RequireTdes(KeyHandle key, string field)
    {
        if (key.Algorithm != KeyAlgorithm.Tdes) throw new SecurityInputException($"{field}: must be a TDES key");
    }
}

namespace Switch.Security.Primitives;

/// <summary>Strict hex parsing for security inputs: errors name the field but never echo its value.</summary>
public static class Hex
{
    /// <summary>Parses uppercase or lowercase hex (no separators) into a new array.</summary>
    public static byte[] Parse(string? text, string field)
    {
        if (string.IsNullOrEmpty(text)) throw new SecurityInputException($"{field}: missing hex value");
        if (text.Length % 2 != 0) throw new SecurityInputException($"{field}: odd number of hex digits ({text.Length})");
        for (int i = 0; i < text.Length; i++)
        {
            // The position is safe to report; the character might be part of a key, so it is not echoed.
            if (!char.IsAsciiHexDigit(text[i])) throw new SecurityInputException($"{field}: not hex (non-hex character at position {i})");
        }
        return Convert.FromHexString(text);
    }

    /// <summary>Parses hex that must decode to exactly <paramref name="bytes"/> bytes.</summary>
    public static byte[] ParseExact(string? text, int bytes, string field)
    {
        byte[] value = Parse(text, field);
        if (value.Length != bytes) throw new SecurityInputException($"{field}: must be {bytes} bytes ({bytes * 2} hex digits), got {value.Length}");
        return value;
    }

    /// <summary>Uppercase hex.</summary>
    public static string Format(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes);

    /// <summary>Nibble value of a hex digit already known to be valid.</summary>
    internal static int Nibble(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/// <summary>Checks on decimal-digit inputs (PAN, PIN, expiry, service code).</summary>
public static class Digits
{
    /// <summary>Throws unless <paramref name="text"/> is only ASCII digits with a length in [min, max].</summary>
    public static string Require(string? text, string field, int min, int max)
    {
        if (string.IsNullOrEmpty(text)) throw new SecurityInputException($"{field}: missing");
        foreach (char c in text)
        {
            if (!char.IsAsciiDigit(c)) throw new SecurityInputException($"{field}: must contain only digits");
        }
        if (text.Length < min || text.Length > max)
        {
            throw new SecurityInputException(min == max ? $"{field}: must be {min} digits, got {text.Length}" : $"{field}: must be {min} to {max} digits, got {text.Length}");
        }
        return text;
    }

    /// <summary>A PAN: 12 to 19 digits (ISO/IEC 7812); shorter values are accepted down to 8 for test cards.</summary>
    public static string Pan(string? pan) => Require(pan, "pan", 8, 19);

    /// <summary>A PIN: 4 to 12 digits (ISO 9564-1).</summary>
    public static string Pin(string? pin) => Require(pin, "pin", 4, 12);
}

using System.Security.Cryptography;
using Switch.Security.Primitives;

namespace Switch.Security.Pin;

/// <summary>
/// ISO 9564-1 clear PIN block encoding for formats 0, 1 and 3 (8 bytes) and the plain-text PIN and PAN
/// fields of format 4. Works on caller-provided spans so the hot path allocates nothing.
/// </summary>
public static class PinBlock
{
    /// <summary>Smallest and largest PIN length (ISO 9564-1).</summary>
    public const int PinDigitsMin = 4, PinDigitsMax = 12;

    /// <summary>Builds a clear format 0, 1 or 3 block for <paramref name="pin"/> (digits already checked).</summary>
    public static void Encode(PinBlockFormat format, ReadOnlySpan<char> pin, ReadOnlySpan<char> pan, Span<byte> block)
    {
        if (format == PinBlockFormat.Iso4) throw new ArgumentException("format 4 uses EncodePinField4", nameof(format));
        CheckPin(pin);
        Span<byte> nibbles = stackalloc byte[16];
        nibbles[0] = (byte)format;
        nibbles[1] = (byte)pin.Length;
        for (int i = 0; i < pin.Length; i++) nibbles[2 + i] = (byte)(pin[i] - '0');
        FillRest(format, nibbles[(2 + pin.Length)..]);
        Pack(nibbles, block[..8]);
        if (PinBlockFormats.UsesPan(format))
        {
            Span<byte> panField = stackalloc byte[8];
            PanField0(pan, panField);
            for (int i = 0; i < 8; i++) block[i] ^= panField[i];
        }
        nibbles.Clear();
    }

    /// <summary>Extracts the PIN digits from a clear format 0, 1 or 3 block into <paramref name="pin"/>; returns the PIN length.</summary>
    public static int Decode(PinBlockFormat format, ReadOnlySpan<byte> block, ReadOnlySpan<char> pan, Span<char> pin)
    {
        if (block.Length != 8) throw new SecurityInputException($"block: a format {(int)format} PIN block must be 8 bytes, got {block.Length}");
        Span<byte> clear = stackalloc byte[8];
        block.CopyTo(clear);
        if (PinBlockFormats.UsesPan(format))
        {
            Span<byte> panField = stackalloc byte[8];
            PanField0(pan, panField);
            for (int i = 0; i < 8; i++) clear[i] ^= panField[i];
        }
        int control = clear[0] >> 4;
        if (control != (int)format) { clear.Clear(); throw new SecurityInputException($"block: control nibble is {control}, expected {(int)format} (wrong key, PAN or format)", SecurityInputProblem.PinBlock); }
        int length = ReadDigits(clear, pin, 14);
        for (int i = 2 + length; i < 16 && format == PinBlockFormat.Iso0; i++)
        {
            if (NibbleAt(clear, i) != 0xF) { clear.Clear(); throw new SecurityInputException("block: format 0 fill is not all F (wrong key or PAN)", SecurityInputProblem.PinBlock); }
        }
        for (int i = 2 + length; i < 16 && format == PinBlockFormat.Iso3; i++)
        {
            if (NibbleAt(clear, i) < 0xA) { clear.Clear(); throw new SecurityInputException("block: format 3 fill must be A-F (wrong key or PAN)", SecurityInputProblem.PinBlock); }
        }
        clear.Clear();
        return length;
    }

    /// <summary>Format 4 plain-text PIN field: 4, length, digits, A fill to nibble 15, then 8 random bytes.</summary>
    public static void EncodePinField4(ReadOnlySpan<char> pin, Span<byte> field)
    {
        CheckPin(pin);
        Span<byte> nibbles = stackalloc byte[16];
        nibbles[0] = 4;
        nibbles[1] = (byte)pin.Length;
        for (int i = 0; i < pin.Length; i++) nibbles[2 + i] = (byte)(pin[i] - '0');
        nibbles[(2 + pin.Length)..].Fill(0xA);
        Pack(nibbles, field[..8]);
        RandomNumberGenerator.Fill(field.Slice(8, 8));
        nibbles.Clear();
    }

    /// <summary>Reads the PIN from a deciphered format 4 plain-text PIN field; returns the PIN length.</summary>
    public static int DecodePinField4(ReadOnlySpan<byte> field, Span<char> pin)
    {
        int control = field[0] >> 4;
        if (control != 4) throw new SecurityInputException($"block: control nibble is {control}, expected 4 (wrong key or PAN)", SecurityInputProblem.PinBlock);
        int length = ReadDigits(field, pin, 14);
        for (int i = 2 + length; i < 16; i++)
        {
            if (NibbleAt(field, i) != 0xA) throw new SecurityInputException("block: format 4 fill is not all A (wrong key or PAN)", SecurityInputProblem.PinBlock);
        }
        return length;
    }

    /// <summary>Format 4 plain-text PAN field: (PAN length − 12), PAN left-justified (left-padded with 0 to 12 digits), zero fill.</summary>
    public static void PanField4(ReadOnlySpan<char> pan, Span<byte> field)
    {
        CheckPan(pan);
        Span<byte> nibbles = stackalloc byte[32];
        nibbles.Clear();
        int pad = Math.Max(0, 12 - pan.Length);
        nibbles[0] = (byte)Math.Max(0, pan.Length - 12);
        for (int i = 0; i < pan.Length; i++) nibbles[1 + pad + i] = (byte)(pan[i] - '0');
        Pack(nibbles, field[..16]);
    }

    /// <summary>Format 0/3 PAN field: 0000 then the 12 rightmost PAN digits excluding the check digit.</summary>
    public static void PanField0(ReadOnlySpan<char> pan, Span<byte> field)
    {
        CheckPan(pan);
        Span<byte> nibbles = stackalloc byte[16];
        nibbles.Clear();
        ReadOnlySpan<char> body = pan[..^1];
        ReadOnlySpan<char> twelve = body.Length > 12 ? body[^12..] : body;
        int start = 16 - twelve.Length;
        for (int i = 0; i < twelve.Length; i++) nibbles[start + i] = (byte)(twelve[i] - '0');
        Pack(nibbles, field[..8]);
    }

    /// <summary>Throws unless the PIN is 4–12 ASCII digits; the message never contains the PIN.</summary>
    public static void CheckPin(ReadOnlySpan<char> pin)
    {
        if (pin.Length < PinDigitsMin || pin.Length > PinDigitsMax) throw new SecurityInputException($"pin: must be {PinDigitsMin} to {PinDigitsMax} digits, got {pin.Length}", SecurityInputProblem.PinLength);
        foreach (char c in pin)
        {
            if (!char.IsAsciiDigit(c)) throw new SecurityInputException("pin: must contain only digits", SecurityInputProblem.PinLength);
        }
    }

    /// <summary>Throws unless the PAN is 8–19 ASCII digits.</summary>
    public static void CheckPan(ReadOnlySpan<char> pan)
    {
        if (pan.Length == 0) throw new SecurityInputException("pan: missing (this PIN block format needs the PAN)");
        foreach (char c in pan)
        {
            if (!char.IsAsciiDigit(c)) throw new SecurityInputException("pan: must contain only digits");
        }
        if (pan.Length < 8 || pan.Length > 19) throw new SecurityInputException($"pan: must be 8 to 19 digits, got {pan.Length}");
    }

    private static int ReadDigits(ReadOnlySpan<byte> clear, Span<char> pin, int maxDigits)
    {
        int length = clear[0] & 0x0F;
        if (length < PinDigitsMin || length > PinDigitsMax || length > maxDigits) throw new SecurityInputException($"block: PIN length nibble {length} is outside {PinDigitsMin}-{PinDigitsMax} (wrong key, PAN or format)", SecurityInputProblem.PinBlock);
        if (pin.Length < length) throw new ArgumentException("pin buffer too small", nameof(pin));
        for (int i = 0; i < length; i++)
        {
            int d = NibbleAt(clear, 2 + i);
            if (d > 9) { pin[..i].Clear(); throw new SecurityInputException("block: PIN digit is not decimal (wrong key, PAN or format)", SecurityInputProblem.PinBlock); }
            pin[i] = (char)('0' + d);
        }
        return length;
    }

    private static void FillRest(PinBlockFormat format, Span<byte> rest)
    {
        if (format == PinBlockFormat.Iso0) { rest.Fill(0xF); return; }
        Span<byte> random = stackalloc byte[16];
        RandomNumberGenerator.Fill(random[..rest.Length]);
        for (int i = 0; i < rest.Length; i++)
        {
            // Format 3 fill is A–F (6 values); format 1 fill is any nibble.
            rest[i] = format == PinBlockFormat.Iso3 ? (byte)(0xA + random[i] % 6) : (byte)(random[i] & 0x0F);
        }
    }

    private static int NibbleAt(ReadOnlySpan<byte> bytes, int index) => (index & 1) == 0 ? bytes[index >> 1] >> 4 : bytes[index >> 1] & 0x0F;

    private static void Pack(ReadOnlySpan<byte> nibbles, Span<byte> output)
    {
        for (int i = 0; i < output.Length; i++) output[i] = (byte)((nibbles[2 * i] << 4) | nibbles[2 * i + 1]);
    }
}

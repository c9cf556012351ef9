using System.Buffers;

namespace Switch.Iso8583.Codecs;

/// <summary>A problem in one value, positioned relative to the value's first byte or character.</summary>
internal sealed class ValueFormatException(string reason, int position) : Exception(reason)
{
    public int Position { get; } = position;
}

/// <summary>Which side a short fixed-length value is padded on, and with what.</summary>
public readonly record struct Padding(bool Left, char Char)
{
    /// <summary>Numeric default: zeros on the left.</summary>
    public static readonly Padding LeftZeros = new(true, '0');

    /// <summary>Character default: spaces on the right.</summary>
    public static readonly Padding RightSpaces = new(false, ' ');
}

/// <summary>
/// How a field's value is represented on the wire, independent of its length prefix. A value is a
/// string: characters for text, digits for BCD, uppercase hex for binary. Lengths are counted in
/// "units": characters for text, digits for BCD, bytes for binary and hex-on-the-wire.
/// </summary>
public abstract class ValueEncoding
{
    /// <summary>Short name used in specs and by <c>describe</c>.</summary>
    public abstract string Name { get; }

    /// <summary>Wire bytes taken by a value of <paramref name="units"/> units.</summary>
    public abstract int WireBytes(int units);

    /// <summary>Units held by <paramref name="wireBytes"/> bytes (for prefixes that count bytes).</summary>
    public abstract int UnitsInWire(int wireBytes);

    /// <summary>Decodes and validates a value; throws <see cref="ValueFormatException"/>.</summary>
    internal abstract string Decode(ReadOnlySpan<byte> wire, int units);

    /// <summary>Checks wire bytes without materializing a string; throws <see cref="ValueFormatException"/>.</summary>
    internal abstract void Validate(ReadOnlySpan<byte> wire, int units);

    /// <summary>Units the value takes; throws <see cref="ValueFormatException"/> for characters it cannot carry.</summary>
    internal abstract int UnitsOf(ReadOnlySpan<char> value);

    /// <summary>Encodes a value padded to <paramref name="units"/> into exactly <see cref="WireBytes"/> bytes.</summary>
    internal abstract void Encode(ReadOnlySpan<char> value, int units, Padding padding, Span<byte> dest);

    /// <summary>Decodes a decimal digit written in this encoding's character set, or -1.</summary>
    internal virtual int DigitValue(byte b) => -1;
}

/// <summary>One byte per character: ASCII (byte-transparent Latin-1) or an EBCDIC code page.</summary>
public sealed class TextEncoding : ValueEncoding
{
    private readonly Ebcdic? _ebcdic;

    private TextEncoding(Ebcdic? ebcdic) => _ebcdic = ebcdic;

    /// <summary>ASCII, byte-transparent: bytes 0x00–0xFF map to U+0000–U+00FF.</summary>
    public static readonly TextEncoding Ascii = new(null);

    /// <summary>EBCDIC IBM-037.</summary>
    public static readonly TextEncoding Ebcdic037 = new(Ebcdic.Cp037);

    /// <summary>EBCDIC IBM-500.</summary>
    public static readonly TextEncoding Ebcdic500 = new(Ebcdic.Cp500);

    /// <summary>EBCDIC IBM-1047.</summary>
    public static readonly TextEncoding Ebcdic1047 = new(Ebcdic.Cp1047);

    /// <summary>The EBCDIC table, or null for ASCII.</summary>
    public Ebcdic? Ebcdic => _ebcdic;

    /// <inheritdoc/>
    public override string Name => _ebcdic is null ? "ascii" : $"ebcdic-{_ebcdic.CodePage:D3}";

    /// <inheritdoc/>
    public override int WireBytes(int units) => units;

    /// <inheritdoc/>
    public override int UnitsInWire(int wireBytes) => wireBytes;

    internal override string Decode(ReadOnlySpan<byte> wire, int units) =>
        _ebcdic is null ? System.Text.Encoding.Latin1.GetString(wire) : _ebcdic.GetString(wire);

    internal override void Validate(ReadOnlySpan<byte> wire, int units)
    {
        // Byte-transparent: every byte is a valid character.
    }

    internal override int UnitsOf(ReadOnlySpan<char> value)
    {
        int bad = value.IndexOfAnyExceptInRange('\0', '\u00FF');
        if (bad >= 0) throw new ValueFormatException($"character U+{(int)value[bad]:X4} cannot be carried by a single-byte field", bad);
        return value.Length;
    }

    internal override void Encode(ReadOnlySpan<char> value, int units, Padding padding, Span<byte> dest)
    {
        int padCount = units - value.Length;
        Span<byte> body = padding.Left ? dest[padCount..] : dest[..value.Length];
        Span<byte> pad = padding.Left ? dest[..padCount] : dest[value.Length..units];
        WriteChars(value, body);
        if (padCount > 0)
        {
            Span<char> one = [padding.Char];
            Span<byte> padByte = stackalloc byte[1];
            WriteChars(one, padByte);
            pad.Fill(padByte[0]);
        }
    }

    internal void WriteChars(ReadOnlySpan<char> chars, Span<byte> dest)
    {
        if (_ebcdic is null)
        {
            System.Text.Encoding.Latin1.GetBytes(chars, dest);
            return;
        }
        int bad = _ebcdic.GetBytes(chars, dest);
        if (bad >= 0) throw new ValueFormatException($"character U+{(int)chars[bad]:X4} has no EBCDIC code", bad);
    }

    internal override int DigitValue(byte b)
    {
        if (_ebcdic is not null) return _ebcdic.DigitValue(b);
        return b is >= (byte)'0' and <= (byte)'9' ? b - '0' : -1;
    }

    /// <summary>The wire byte of one character.</summary>
    internal byte ByteOf(char c)
    {
        if (_ebcdic is null) return (byte)c;
        _ebcdic.TryFromChar(c, out byte b);
        return b;
    }

    /// <summary>The character of one wire byte.</summary>
    internal char CharOf(byte b) => _ebcdic is null ? (char)b : _ebcdic.ToChar(b);
}

/// <summary>
/// Packed BCD: two digits per byte. An odd digit count carries one pad nibble, on the left or the
/// right. Nibble D is the track-data separator, shown as '=', accepted only by fields that carry track
/// data (<see cref="AllowSeparator"/>); nibbles A–C, E and F are never digits (jPOS cannot write them).
/// </summary>
public sealed class BcdEncoding : ValueEncoding
{
    private const string NibbleChars = "0123456789ABC=EF";

    /// <summary>True when an odd-length value's pad nibble is the first (high) nibble.</summary>
    public bool PadLeft { get; }

    /// <summary>The pad nibble value (0 or 0xF).</summary>
    public int PadNibble { get; }

    /// <summary>True when nibble D ('=', the track 2/3 field separator) is allowed in values.</summary>
    public bool AllowSeparator { get; }

    /// <summary>Creates a BCD encoding.</summary>
    public BcdEncoding(bool padLeft, int padNibble = 0, bool allowSeparator = false)
    {
        if (padNibble is not (0 or 0xF)) throw new ArgumentException("BCD pad nibble must be 0 or F");
        PadLeft = padLeft;
        PadNibble = padNibble;
        AllowSeparator = allowSeparator;
    }

    /// <summary>Left pad with 0 (jPOS pad="true").</summary>
    public static readonly BcdEncoding LeftPadded = new(true);

    /// <summary>Right pad with 0 (jPOS default).</summary>
    public static readonly BcdEncoding RightPadded = new(false);

    /// <inheritdoc/>
    public override string Name => (PadNibble == 0 ? "bcd" : "bcd (pad F)") + (AllowSeparator ? " with '=' separator" : "");

    /// <inheritdoc/>
    public override int WireBytes(int units) => (units + 1) >> 1;

    /// <inheritdoc/>
    public override int UnitsInWire(int wireBytes) => wireBytes * 2;

    internal override string Decode(ReadOnlySpan<byte> wire, int units)
    {
        CheckPad(wire, units);
        string digits = DecodeNibbles(wire, units);
        // One vectorised scan of the result instead of a second pass over the nibbles.
        int bad = digits.AsSpan().IndexOfAny(AllowSeparator ? NonDigits : NonDigitsOrSeparator);
        if (bad >= 0) ThrowNonDigit(digits[bad], bad + (PadLeft && (units & 1) == 1 ? 1 : 0));
        return digits;
    }

    private static readonly SearchValues<char> NonDigits = SearchValues.Create("ABCEF");
    private static readonly SearchValues<char> NonDigitsOrSeparator = SearchValues.Create("ABC=EF");

    private static void ThrowNonDigit(char c, int nibbleIndex) =>
        throw new ValueFormatException($"BCD nibble {c} is not a digit", nibbleIndex >> 1);

    private string DecodeNibbles(ReadOnlySpan<byte> wire, int units)
    {
        int skip = PadLeft && (units & 1) == 1 ? 1 : 0;
        return string.Create(units, new WireState(wire, skip, null), static (dst, st) =>
        {
            var src = st.Bytes;
            ReadOnlySpan<char> chars = NibbleChars;
            int i = 0, n = st.Skip;
            if (n == 1)
            {
                dst[0] = chars[src[0] & 0x0F];
                i = 1;
                n = 2;
            }
            // Whole bytes: two characters each.
            for (; i + 1 < dst.Length; i += 2, n += 2)
            {
                int b = src[n >> 1];
                dst[i] = chars[b >> 4];
                dst[i + 1] = chars[b & 0x0F];
            }
            if (i < dst.Length) dst[i] = chars[src[n >> 1] >> 4];
        });
    }

    /// <summary>Bytes whose two nibbles are both digits (one look-up per byte on the strict decode path).</summary>
    private static readonly bool[] DigitPairs = BuildPairs(separator: false);

    /// <summary>Bytes whose two nibbles are both digits or the track separator D.</summary>
    private static readonly bool[] TrackPairs = BuildPairs(separator: true);

    private static bool[] BuildPairs(bool separator)
    {
        static bool Ok(int nibble, bool sep) => nibble <= 9 || (sep && nibble == 0xD);
        var table = new bool[256];
        for (int b = 0; b < 256; b++) table[b] = Ok(b >> 4, separator) && Ok(b & 0x0F, separator);
        return table;
    }

    internal override void Validate(ReadOnlySpan<byte> wire, int units)
    {
        // The walk over nibbles below finds the position of a bad one; this finds that all are good.
        if (!AllPairsValid(wire, units)) ValidateNibbles(wire, units);
        CheckPad(wire, units);
    }

    private bool AllPairsValid(ReadOnlySpan<byte> wire, int units)
    {
        if (wire.Length != (units + 1) >> 1) return false;
        int from = 0, to = wire.Length;
        if ((units & 1) == 1)
        {
            // The byte holding the pad nibble holds one digit.
            int digit = PadLeft ? wire[0] & 0x0F : wire[^1] >> 4;
            if (digit > 9 && !(digit == 0xD && AllowSeparator)) return false;
            if (PadLeft) from = 1;
            else to--;
        }
        var pairs = AllowSeparator ? TrackPairs : DigitPairs;
        for (int i = from; i < to; i++)
        {
            if (!pairs[wire[i]]) return false;
        }
        return true;
    }

    private void ValidateNibbles(ReadOnlySpan<byte> wire, int units)
    {
        // Digits only, plus D (the track separator '=') where the field carries track data.
        int skip = PadLeft && (units & 1) == 1 ? 1 : 0;
        for (int i = 0; i < units; i++)
        {
            int n = i + skip;
            int nibble = (n & 1) == 0 ? wire[n >> 1] >> 4 : wire[n >> 1] & 0x0F;
            if (nibble > 9 && !(nibble == 0xD && AllowSeparator)) throw new ValueFormatException($"BCD nibble {nibble:X} is not a digit", n >> 1);
        }
    }

    private void CheckPad(ReadOnlySpan<byte> wire, int units)
    {
        if ((units & 1) == 0) return;
        int pad = PadLeft ? wire[0] >> 4 : wire[^1] & 0x0F;
        if (pad != PadNibble)
        {
            int at = PadLeft ? 0 : wire.Length - 1;
            throw new ValueFormatException($"BCD pad nibble is {pad:X} where {PadNibble:X} is expected", at);
        }
    }

    internal override int UnitsOf(ReadOnlySpan<char> value)
    {
        for (int i = 0; i < value.Length; i++)
        {
            int nibble = NibbleOf(value[i]);
            if (nibble < 0 || (nibble == 0xD && !AllowSeparator))
                throw new ValueFormatException($"'{value[i]}' is not a BCD digit{(nibble == 0xD ? " (this field carries no track data)" : "")}", i);
        }
        return value.Length;
    }

    internal override void Encode(ReadOnlySpan<char> value, int units, Padding padding, Span<byte> dest)
    {
        if (value.Length == units && (units & 1) == 0)
        {
            // The common case: an even digit count given whole, two digits per byte.
            for (int i = 0; i < units; i += 2) dest[i >> 1] = (byte)((NibbleOf(value[i]) << 4) | NibbleOf(value[i + 1]));
            return;
        }
        // Short values are padded with '0' digits on the left (numeric), then the odd-length pad nibble.
        int zeros = units - value.Length;
        int lead = PadLeft && (units & 1) == 1 ? 1 : 0;
        int total = units + lead + ((units + lead) & 1);
        for (int n = 0; n < total; n += 2)
        {
            int hi = NibbleAt(n, lead, zeros, units, value);
            int lo = NibbleAt(n + 1, lead, zeros, units, value);
            dest[n >> 1] = (byte)((hi << 4) | lo);
        }
    }

    private int NibbleAt(int n, int lead, int zeros, int units, ReadOnlySpan<char> value)
    {
        int i = n - lead;
        if (i < 0 || i >= units) return PadNibble;
        if (i < zeros) return 0;
        return NibbleOf(value[i - zeros]);
    }

    private static int NibbleOf(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        '=' or 'D' or 'd' => 0xD,
        _ => -1,
    };
}

/// <summary>Raw bytes on the wire; the value is their uppercase hex.</summary>
public sealed class BinaryEncoding : ValueEncoding
{
    /// <summary>The one instance.</summary>
    public static readonly BinaryEncoding Instance = new();

    private BinaryEncoding() { }

    /// <inheritdoc/>
    public override string Name => "binary";

    /// <inheritdoc/>
    public override int WireBytes(int units) => units;

    /// <inheritdoc/>
    public override int UnitsInWire(int wireBytes) => wireBytes;

    internal override string Decode(ReadOnlySpan<byte> wire, int units) => Convert.ToHexString(wire);

    internal override void Validate(ReadOnlySpan<byte> wire, int units)
    {
    }

    internal override int UnitsOf(ReadOnlySpan<char> value) => HexUnits(value);

    internal static int HexUnits(ReadOnlySpan<char> value)
    {
        if ((value.Length & 1) == 1) throw new ValueFormatException("hex value has an odd number of digits", value.Length - 1);
        int bad = value.IndexOfAnyExcept(HexChars);
        if (bad >= 0) throw new ValueFormatException($"'{value[bad]}' is not a hex digit", bad);
        return value.Length / 2;
    }

    internal static readonly SearchValues<char> HexChars = SearchValues.Create("0123456789ABCDEFabcdef");

    internal override void Encode(ReadOnlySpan<char> value, int units, Padding padding, Span<byte> dest)
    {
        // Binary values are never padded: a fixed binary field must be given whole.
        if (value.Length != units * 2) throw new ValueFormatException($"binary value has {value.Length / 2} bytes where {units} are required", 0);
        Convert.FromHexString(value, dest[..units], out _, out _);
    }
}

/// <summary>Bytes written as hex characters (ASCII or EBCDIC): 2 wire bytes per value byte.</summary>
public sealed class HexTextEncoding : ValueEncoding
{
    private readonly TextEncoding _text;

    /// <summary>Hex in ASCII characters.</summary>
    public static readonly HexTextEncoding Ascii = new(TextEncoding.Ascii);

    /// <summary>Hex in EBCDIC (IBM-1047) characters.</summary>
    public static readonly HexTextEncoding Ebcdic = new(TextEncoding.Ebcdic1047);

    // Wire byte -> nibble value (or -1): one table look-up per character on the decode path.
    private readonly sbyte[] _nibbles = new sbyte[256];

    private HexTextEncoding(TextEncoding text)
    {
        _text = text;
        for (int b = 0; b < 256; b++)
        {
            char c = text.CharOf((byte)b);
            _nibbles[b] = (sbyte)(c switch
            {
                >= '0' and <= '9' => c - '0',
                >= 'A' and <= 'F' => c - 'A' + 10,
                >= 'a' and <= 'f' => c - 'a' + 10,
                _ => -1,
            });
        }
    }

    /// <inheritdoc/>
    public override string Name => _text.Ebcdic is null ? "ascii-hex" : "ebcdic-hex";

    /// <inheritdoc/>
    public override int WireBytes(int units) => units * 2;

    /// <inheritdoc/>
    public override int UnitsInWire(int wireBytes) => (wireBytes & 1) == 0 ? wireBytes / 2 : -1;

    internal override string Decode(ReadOnlySpan<byte> wire, int units)
    {
        Validate(wire, units);
        if (_text.Ebcdic is null)
        {
            string ascii = System.Text.Encoding.Latin1.GetString(wire);
            return ascii.AsSpan().ContainsAnyInRange('a', 'f') ? ascii.ToUpperInvariant() : ascii;
        }
        return _text.Ebcdic.GetString(wire).ToUpperInvariant();
    }

    internal override void Validate(ReadOnlySpan<byte> wire, int units)
    {
        for (int i = 0; i < wire.Length; i++)
        {
            if (!HexValue(wire[i], out _)) throw new ValueFormatException($"byte {wire[i]:X2} is not a hex character", i);
        }
    }

    /// <summary>Decodes wire hex characters into bytes.</summary>
    internal void DecodeBytes(ReadOnlySpan<byte> wire, Span<byte> dest)
    {
        var nibbles = _nibbles;
        for (int i = 0; i < dest.Length; i++)
        {
            int hi = nibbles[wire[2 * i]], lo = nibbles[wire[(2 * i) + 1]];
            if ((hi | lo) < 0)
            {
                int at = hi < 0 ? 2 * i : (2 * i) + 1;
                throw new ValueFormatException($"byte {wire[at]:X2} is not a hex character", at);
            }
            dest[i] = (byte)((hi << 4) | lo);
        }
    }

    /// <summary>The nibble a wire hex character stands for, or -1.</summary>
    internal int NibbleOf(byte b) => _nibbles[b];

    private bool HexValue(byte b, out int value)
    {
        value = _nibbles[b];
        return value >= 0;
    }

    internal override int UnitsOf(ReadOnlySpan<char> value) => BinaryEncoding.HexUnits(value);

    internal override void Encode(ReadOnlySpan<char> value, int units, Padding padding, Span<byte> dest)
    {
        if (value.Length != units * 2) throw new ValueFormatException($"binary value has {value.Length / 2} bytes where {units} are required", 0);
        for (int i = 0; i < value.Length; i++) dest[i] = _text.ByteOf(char.ToUpperInvariant(value[i]));
    }

    /// <summary>Encodes raw bytes as uppercase hex characters.</summary>
    internal void EncodeBytes(ReadOnlySpan<byte> bytes, Span<byte> dest)
    {
        const string digits = "0123456789ABCDEF";
        for (int i = 0; i < bytes.Length; i++)
        {
            dest[2 * i] = _text.ByteOf(digits[bytes[i] >> 4]);
            dest[(2 * i) + 1] = _text.ByteOf(digits[bytes[i] & 0xF]);
        }
    }
}

/// <summary>
/// A signed amount (ISO 8583 x+n): one sign character in a text encoding, then the digits in their own encoding
/// (text or BCD). The value is the sign followed by the digits; the field length counts the sign as one unit.
/// The sign is byte-transparent: 'C' and 'D' are the usual ones, but jPOS writes the value's first character as
/// it is (its reference messages carry '0'), so the codec keeps whatever is there. That it is C or D is a business
/// rule for the switch's validation, not a format rule.
/// </summary>
public sealed class AmountEncoding : ValueEncoding
{
    /// <summary>Encoding of the sign byte.</summary>
    public TextEncoding Sign { get; }

    /// <summary>Encoding of the digits.</summary>
    public ValueEncoding Digits { get; }

    /// <summary>Creates an amount encoding.</summary>
    public AmountEncoding(TextEncoding sign, ValueEncoding digits)
    {
        Sign = sign;
        Digits = digits;
    }

    /// <inheritdoc/>
    public override string Name => $"amount({Sign.Name}+{Digits.Name})";

    /// <inheritdoc/>
    public override int WireBytes(int units) => 1 + Digits.WireBytes(units - 1);

    /// <inheritdoc/>
    public override int UnitsInWire(int wireBytes) => 1 + Digits.UnitsInWire(wireBytes - 1);

    internal override string Decode(ReadOnlySpan<byte> wire, int units)
    {
        Validate(wire, units);
        char sign = Sign.CharOf(wire[0]);
        string digits = Digits.Decode(wire[1..], units - 1);
        return string.Concat(new ReadOnlySpan<char>(in sign), digits);
    }

    internal override void Validate(ReadOnlySpan<byte> wire, int units)
    {
        if (units < 1 || wire.Length < 1) throw new ValueFormatException("amount has no sign", 0);
        try
        {
            Digits.Validate(wire[1..], units - 1);
        }
        catch (ValueFormatException ex)
        {
            throw new ValueFormatException(ex.Message, ex.Position + 1);
        }
    }

    internal override int UnitsOf(ReadOnlySpan<char> value)
    {
        if (value.Length < 1) throw new ValueFormatException("amount has no sign (one character before the digits)", 0);
        Sign.UnitsOf(value[..1]);
        try
        {
            return 1 + Digits.UnitsOf(value[1..]);
        }
        catch (ValueFormatException ex)
        {
            throw new ValueFormatException(ex.Message, ex.Position + 1);
        }
    }

    internal override void Encode(ReadOnlySpan<char> value, int units, Padding padding, Span<byte> dest)
    {
        Sign.WriteChars(value[..1], dest[..1]);
        Digits.Encode(value[1..], units - 1, Padding.LeftZeros, dest[1..]);
    }
}

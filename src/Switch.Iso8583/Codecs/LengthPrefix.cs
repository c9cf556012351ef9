namespace Switch.Iso8583.Codecs;

/// <summary>How a length prefix writes its number.</summary>
public enum PrefixEncoding
{
    /// <summary>Decimal digits in ASCII.</summary>
    Ascii,

    /// <summary>Decimal digits in EBCDIC.</summary>
    Ebcdic,

    /// <summary>Decimal digits in packed BCD (two per byte, left-padded with a 0 nibble).</summary>
    Bcd,

    /// <summary>An unsigned big-endian binary number.</summary>
    Binary,
}

/// <summary>
/// A length prefix: none (fixed-length field) or L to LLLLLL digits in ASCII, EBCDIC or BCD, or a
/// big-endian binary number of one to three bytes.
/// </summary>
public sealed class LengthPrefix
{
    /// <summary>No prefix: the field has a fixed length.</summary>
    public static readonly LengthPrefix Fixed = new(0, PrefixEncoding.Ascii, 0);

    /// <summary>Number of decimal digits (L = 1 … LLLLLL = 6); 0 for a fixed field.</summary>
    public int Digits { get; }

    /// <summary>How the number is written.</summary>
    public PrefixEncoding Encoding { get; }

    /// <summary>Bytes the prefix takes on the wire.</summary>
    public int Bytes { get; }

    /// <summary>Largest length the prefix can express.</summary>
    public int MaxValue { get; }

    /// <summary>True for a fixed-length field.</summary>
    public bool IsFixed => Digits == 0;

    private LengthPrefix(int digits, PrefixEncoding encoding, int bytes)
    {
        Digits = digits;
        Encoding = encoding;
        Bytes = bytes;
        MaxValue = encoding == PrefixEncoding.Binary
            ? (int)Math.Min(int.MaxValue, (1L << (8 * bytes)) - 1)
            : (int)Math.Pow(10, digits) - 1;
    }

    /// <summary>
    /// A variable-length prefix of <paramref name="digits"/> digits. Binary prefixes take
    /// <paramref name="binaryBytes"/> bytes (default: one byte for L/LL, two for LLL/LLLL, three beyond).
    /// </summary>
    public static LengthPrefix Variable(int digits, PrefixEncoding encoding, int binaryBytes = 0)
    {
        if (digits is < 1 or > 6) throw new ArgumentException($"a length prefix has 1 to 6 digits, not {digits}");
        int bytes = encoding switch
        {
            PrefixEncoding.Ascii or PrefixEncoding.Ebcdic => digits,
            PrefixEncoding.Bcd => (digits + 1) / 2,
            _ => binaryBytes > 0 ? binaryBytes : (digits + 1) / 2,
        };
        if (encoding == PrefixEncoding.Binary && bytes > 3) throw new ArgumentException("a binary length prefix has 1 to 3 bytes");
        return new LengthPrefix(digits, encoding, bytes);
    }

    /// <summary>Reads the length; throws <see cref="ValueFormatException"/> when the prefix is not a valid number.</summary>
    internal int Read(ReadOnlySpan<byte> src)
    {
        return Encoding switch
        {
            PrefixEncoding.Ascii => ReadDecimal(src, TextEncoding.Ascii),
            PrefixEncoding.Ebcdic => ReadDecimal(src, TextEncoding.Ebcdic1047),
            PrefixEncoding.Bcd => ReadBcd(src),
            _ => ReadBinary(src),
        };
    }

    private int ReadDecimal(ReadOnlySpan<byte> src, TextEncoding text)
    {
        int value = 0;
        for (int i = 0; i < Bytes; i++)
        {
            int d = text.DigitValue(src[i]);
            if (d < 0) throw new ValueFormatException($"length prefix byte {src[i]:X2} is not a decimal digit", i);
            value = (value * 10) + d;
        }
        return value;
    }

    private int ReadBcd(ReadOnlySpan<byte> src)
    {
        int value = 0;
        for (int i = 0; i < Bytes; i++)
        {
            int hi = src[i] >> 4, lo = src[i] & 0x0F;
            if (hi > 9 || lo > 9) throw new ValueFormatException($"BCD length prefix byte {src[i]:X2} holds a nibble above 9", i);
            value = (value * 100) + (hi * 10) + lo;
        }
        if (value > MaxValue) throw new ValueFormatException($"BCD length prefix {value} has more than {Digits} digits", 0);
        return value;
    }

    private int ReadBinary(ReadOnlySpan<byte> src)
    {
        int value = 0;
        for (int i = 0; i < Bytes; i++) value = (value << 8) | src[i];
        return value;
    }

    /// <summary>Writes <paramref name="length"/> (already checked against <see cref="MaxValue"/>).</summary>
    internal void Write(int length, Span<byte> dest)
    {
        switch (Encoding)
        {
            case PrefixEncoding.Ascii:
            case PrefixEncoding.Ebcdic:
                var text = Encoding == PrefixEncoding.Ascii ? TextEncoding.Ascii : TextEncoding.Ebcdic1047;
                for (int i = Bytes - 1; i >= 0; i--, length /= 10) dest[i] = text.ByteOf((char)('0' + (length % 10)));
                break;
            case PrefixEncoding.Bcd:
                for (int i = Bytes - 1; i >= 0; i--, length /= 100)
                {
                    int two = length % 100;
                    dest[i] = (byte)(((two / 10) << 4) | (two % 10));
                }
                break;
            default:
                for (int i = Bytes - 1; i >= 0; i--, length >>= 8) dest[i] = (byte)length;
                break;
        }
    }

    /// <summary>Human description, e.g. "LLL BCD".</summary>
    public override string ToString() => IsFixed
        ? "fixed"
        : Encoding == PrefixEncoding.Binary
            ? $"{new string('L', Digits)} binary ({Bytes} byte{(Bytes > 1 ? "s" : "")})"
            : $"{new string('L', Digits)} {Encoding.ToString().ToUpperInvariant()}";
}

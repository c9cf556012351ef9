using System.Text;

namespace Switch.Iso8583.Codecs;

/// <summary>
/// Byte-for-byte EBCDIC tables (IBM 037, 500, 1047) built once from the platform's code page data.
/// Each code page maps all 256 byte values to 256 distinct Latin-1 characters, so any byte
/// round-trips through a string; the tables are checked for that at start-up.
/// </summary>
public sealed class Ebcdic
{
    private readonly char[] _toChar = new char[256];
    private readonly byte[] _fromChar = new byte[256];

    /// <summary>The IBM code page number.</summary>
    public int CodePage { get; }

    /// <summary>IBM-037 (US/Canada).</summary>
    public static readonly Ebcdic Cp037 = new(37);

    /// <summary>IBM-500 (International).</summary>
    public static readonly Ebcdic Cp500 = new(500);

    /// <summary>IBM-1047 (Latin-1 open systems; what jPOS's IFE_ classes use).</summary>
    public static readonly Ebcdic Cp1047 = new(1047);

    private Ebcdic(int codePage)
    {
        CodePage = codePage;
        var enc = CodePagesEncodingProvider.Instance.GetEncoding(codePage)
            ?? throw new InvalidOperationException($"code page {codePage} is not available");
        var all = new byte[256];
        for (int i = 0; i < 256; i++) all[i] = (byte)i;
        string chars = enc.GetString(all);
        if (chars.Length != 256) throw new InvalidOperationException($"code page {codePage} is not single-byte");
        var seen = new bool[256];
        for (int b = 0; b < 256; b++)
        {
            char c = chars[b];
            if (c > 0xFF || seen[c]) throw new InvalidOperationException($"code page {codePage} is not a Latin-1 permutation");
            seen[c] = true;
            _toChar[b] = c;
            _fromChar[c] = (byte)b;
        }
    }

    /// <summary>Resolves "037", "500" or "1047".</summary>
    public static Ebcdic ForCodePage(int codePage) => codePage switch
    {
        37 => Cp037,
        500 => Cp500,
        1047 => Cp1047,
        _ => throw new ArgumentException($"unsupported EBCDIC code page {codePage} (037, 500 or 1047)"),
    };

    /// <summary>The character for an EBCDIC byte.</summary>
    public char ToChar(byte b) => _toChar[b];

    /// <summary>The EBCDIC byte for a character; false when the character is outside Latin-1.</summary>
    public bool TryFromChar(char c, out byte b)
    {
        if (c > 0xFF) { b = 0; return false; }
        b = _fromChar[c];
        return true;
    }

    /// <summary>Decodes bytes into a new string.</summary>
    public string GetString(ReadOnlySpan<byte> bytes)
    {
        return string.Create(bytes.Length, new WireState(bytes, 0, _toChar), static (dst, st) =>
        {
            var table = st.Table!;
            var src = st.Bytes;
            for (int i = 0; i < dst.Length; i++) dst[i] = table[src[i]];
        });
    }

    /// <summary>Encodes characters; returns the index of the first character outside Latin-1, or -1.</summary>
    public int GetBytes(ReadOnlySpan<char> chars, Span<byte> dest)
    {
        for (int i = 0; i < chars.Length; i++)
        {
            char c = chars[i];
            if (c > 0xFF) return i;
            dest[i] = _fromChar[c];
        }
        return -1;
    }

    /// <summary>Decimal digit value of an EBCDIC byte, or -1.</summary>
    public int DigitValue(byte b)
    {
        char c = _toChar[b];
        return c is >= '0' and <= '9' ? c - '0' : -1;
    }
}

/// <summary>State handed to string.Create: the wire bytes plus what the decoder needs.</summary>
internal readonly ref struct WireState(ReadOnlySpan<byte> bytes, int skip, char[]? table)
{
    public ReadOnlySpan<byte> Bytes { get; } = bytes;

    public int Skip { get; } = skip;

    public char[]? Table { get; } = table;
}

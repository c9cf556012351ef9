using System.Buffers;
using System.Text;

namespace Switch.Iso20022;

/// <summary>Strict UTF-8 and declared-encoding checks on the raw bytes, positioned by line and column.</summary>
internal static class Utf8Check
{
    public readonly record struct Problem(int Line, int Position, string Message);

    public static Problem? Find(ReadOnlySpan<byte> bytes)
    {
        if (!System.Text.Unicode.Utf8.IsValid(bytes))
        {
            int offset = FirstInvalid(bytes);
            var (line, position) = LineOf(bytes, offset);
            return new Problem(line, position, $"the document is not valid UTF-8 (byte offset {offset}); ISO 20022 messages are read as UTF-8 only.");
        }
        var declared = DeclaredEncoding(bytes);
        if (declared is not null && !declared.Equals("UTF-8", StringComparison.OrdinalIgnoreCase) && !declared.Equals("UTF8", StringComparison.OrdinalIgnoreCase))
            return new Problem(1, 1, $"the XML declaration names the encoding '{declared}'; ISO 20022 messages are read as UTF-8 only.");
        return null;
    }

    private static int FirstInvalid(ReadOnlySpan<byte> bytes)
    {
        int offset = 0;
        while (offset < bytes.Length)
        {
            if (Rune.DecodeFromUtf8(bytes[offset..], out _, out int consumed) != OperationStatus.Done) return offset;
            offset += consumed;
        }
        return offset;
    }

    private static (int Line, int Position) LineOf(ReadOnlySpan<byte> bytes, int offset)
    {
        var before = bytes[..offset];
        int line = before.Count((byte)'\n') + 1;
        int lastNewline = before.LastIndexOf((byte)'\n');
        return (line, offset - lastNewline);
    }

    /// <summary>The encoding named by an XML declaration at the start, or null when there is none.</summary>
    private static string? DeclaredEncoding(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) bytes = bytes[3..];
        if (!bytes.StartsWith("<?xml"u8)) return null;
        int end = bytes[..Math.Min(bytes.Length, 256)].IndexOf("?>"u8);
        if (end < 0) return null;
        string decl = Encoding.UTF8.GetString(bytes[..end]);
        int at = decl.IndexOf("encoding", StringComparison.Ordinal);
        if (at < 0) return null;
        int quote = decl.IndexOfAny(['"', '\''], at);
        if (quote < 0) return null;
        int close = decl.IndexOf(decl[quote], quote + 1);
        return close < 0 ? null : decl[(quote + 1)..close];
    }
}

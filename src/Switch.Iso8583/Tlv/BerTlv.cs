namespace Switch.Iso8583.Tlv;

/// <summary>A BER-TLV problem at a byte offset of the TLV data.</summary>
public sealed class TlvFormatException(string reason, int offset)
    : Exception($"{reason} (at offset {offset})")
{
    /// <summary>What is wrong.</summary>
    public string Reason { get; } = reason;

    /// <summary>Byte offset in the TLV data.</summary>
    public int Offset { get; } = offset;
}

/// <summary>One BER-TLV data object; constructed objects whose content parses as BER have children.</summary>
public sealed class TlvNode
{
    /// <summary>Tag bytes as uppercase hex (e.g. "9F26").</summary>
    public required string Tag { get; init; }

    /// <summary>Value bytes.</summary>
    public required ReadOnlyMemory<byte> Value { get; init; }

    /// <summary>Children of a constructed tag, or null.</summary>
    public IReadOnlyList<TlvNode>? Children { get; init; }

    /// <summary>Offset of the tag's first byte in the parsed data.</summary>
    public int Offset { get; init; }

    /// <summary>True when bit 6 of the first tag byte marks the object as constructed.</summary>
    public bool IsConstructed => (Convert.ToByte(Tag[..2], 16) & 0x20) != 0;
}

/// <summary>
/// BER-TLV as EMV uses it (DE 55): multi-byte tags, short and long-form lengths (up to 4 length
/// bytes), constructed tags, and 00 bytes between objects skipped as padding. FF is a tag byte.
/// </summary>
public static class BerTlv
{
    /// <summary>Most objects accepted in one parse, so hostile input cannot allocate without bound.</summary>
    public const int MaxObjects = 4096;

    /// <summary>Parses TLV data into a tree; throws <see cref="TlvFormatException"/>.</summary>
    public static IReadOnlyList<TlvNode> Parse(ReadOnlyMemory<byte> data, int maxDepth = 8)
    {
        int budget = MaxObjects;
        return ParseLevel(data, 0, 1, maxDepth, ref budget)!;
    }

    /// <summary>Checks that data is well-formed TLV without building a tree.</summary>
    public static void Validate(ReadOnlySpan<byte> data, int maxDepth = 8)
    {
        int budget = MaxObjects;
        ValidateLevel(data, 0, 1, maxDepth, ref budget);
    }

    private static void ValidateLevel(ReadOnlySpan<byte> data, int baseOffset, int depth, int maxDepth, ref int budget)
    {
        int pos = 0;
        while (pos < data.Length)
        {
            if (data[pos] == 0x00)
            {
                pos++;
                continue;
            }
            int start = pos;
            ReadHeader(data, ref pos, baseOffset, out bool constructed, out int length);
            if (--budget < 0) throw new TlvFormatException($"more than {MaxObjects} TLV objects", baseOffset + start);
            if (constructed) CheckChildren(data.Slice(pos, length), baseOffset + pos, depth, maxDepth, ref budget);
            pos += length;
        }
    }

    private static void CheckChildren(ReadOnlySpan<byte> content, int offset, int depth, int maxDepth, ref int budget)
    {
        if (depth >= maxDepth)
        {
            if (LooksConstructedNested(content)) throw new TlvFormatException($"TLV nesting deeper than {maxDepth}", offset);
            return;
        }
        int saved = budget;
        try
        {
            ValidateLevel(content, offset, depth + 1, maxDepth, ref budget);
        }
        catch (TlvFormatException ex) when (!IsLimit(ex))
        {
            // Proprietary templates: a constructed tag whose content is not BER is kept as a plain value.
            budget = saved;
        }
    }

    private static bool IsLimit(TlvFormatException ex) =>
        ex.Reason.StartsWith("TLV nesting", StringComparison.Ordinal) || ex.Reason.StartsWith("more than", StringComparison.Ordinal);

    // At the depth limit, content that itself parses as a constructed object would go deeper.
    private static bool LooksConstructedNested(ReadOnlySpan<byte> content)
    {
        int pos = 0;
        while (pos < content.Length && content[pos] == 0) pos++;
        if (pos >= content.Length || (content[pos] & 0x20) == 0) return false;
        try
        {
            ReadHeader(content, ref pos, 0, out _, out _);
            return true;
        }
        catch (TlvFormatException)
        {
            return false;
        }
    }

    private static List<TlvNode>? ParseLevel(ReadOnlyMemory<byte> data, int baseOffset, int depth, int maxDepth, ref int budget)
    {
        var nodes = new List<TlvNode>();
        var span = data.Span;
        int pos = 0;
        while (pos < span.Length)
        {
            if (span[pos] == 0x00)
            {
                pos++;
                continue;
            }
            int start = pos;
            ReadHeader(span, ref pos, baseOffset, out bool constructed, out int length);
            if (--budget < 0) throw new TlvFormatException($"more than {MaxObjects} TLV objects", baseOffset + start);
            var value = data.Slice(pos, length);
            IReadOnlyList<TlvNode>? children = null;
            if (constructed) children = ParseChildren(value, baseOffset + pos, depth, maxDepth, ref budget);
            nodes.Add(new TlvNode
            {
                Tag = Convert.ToHexString(span[start..TagEnd(span, start)]),
                Value = value,
                Children = children,
                Offset = baseOffset + start,
            });
            pos += length;
        }
        return nodes;
    }

    private static List<TlvNode>? ParseChildren(ReadOnlyMemory<byte> value, int offset, int depth, int maxDepth, ref int budget)
    {
        if (depth >= maxDepth)
        {
            if (LooksConstructedNested(value.Span)) throw new TlvFormatException($"TLV nesting deeper than {maxDepth}", offset);
        }
        int saved = budget;
        try
        {
            return ParseLevel(value, offset, depth + 1, maxDepth, ref budget);
        }
        catch (TlvFormatException ex) when (!IsLimit(ex))
        {
            budget = saved;
            return null;
        }
    }

    private static int TagEnd(ReadOnlySpan<byte> span, int start)
    {
        int pos = start + 1;
        if ((span[start] & 0x1F) != 0x1F) return pos;
        while ((span[pos] & 0x80) != 0) pos++;
        return pos + 1;
    }

    /// <summary>Reads tag and length at <paramref name="pos"/>, leaving it at the value's first byte.</summary>
    private static void ReadHeader(ReadOnlySpan<byte> data, ref int pos, int baseOffset, out bool constructed, out int length)
    {
        int start = pos;
        byte first = data[pos++];
        constructed = (first & 0x20) != 0;
        if ((first & 0x1F) == 0x1F)
        {
            int tagBytes = 1;
            while (true)
            {
                if (pos >= data.Length) throw new TlvFormatException("tag cut short", baseOffset + start);
                if (++tagBytes > 4) throw new TlvFormatException("tag longer than 4 bytes", baseOffset + start);
                if ((data[pos++] & 0x80) == 0) break;
            }
        }
        if (pos >= data.Length) throw new TlvFormatException("length missing", baseOffset + pos);
        int lenStart = pos;
        byte l = data[pos++];
        if (l < 0x80)
        {
            length = l;
        }
        else
        {
            int n = l & 0x7F;
            if (n is 0 or > 4) throw new TlvFormatException($"length byte {l:X2} is not a definite length of 1 to 4 bytes", baseOffset + lenStart);
            if (data.Length - pos < n) throw new TlvFormatException("length cut short", baseOffset + lenStart);
            long value = 0;
            for (int i = 0; i < n; i++) value = (value << 8) | data[pos++];
            if (value > int.MaxValue) throw new TlvFormatException("length too large", baseOffset + lenStart);
            length = (int)value;
        }
        if (data.Length - pos < length)
            throw new TlvFormatException($"value cut short: {length} bytes declared, {data.Length - pos} remain", baseOffset + pos);
    }
}

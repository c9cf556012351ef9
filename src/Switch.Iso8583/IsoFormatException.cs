namespace Switch.Iso8583;

/// <summary>
/// The engine's only error for bad input: malformed, truncated, oversized or inconsistent bytes, JSON
/// values or specs. Carries the field number and the byte offset where the problem was found.
/// </summary>
public sealed class IsoFormatException : Exception
{
    /// <summary>Field number (0 = MTI, 1 = bitmap), or -1 when the problem is not in one field.</summary>
    public int Field { get; }

    /// <summary>Byte offset from the start of the message, or -1 when not positional (e.g. encoding).</summary>
    public int Offset { get; }

    /// <summary>What is wrong, without the position (which <see cref="Exception.Message"/> includes).</summary>
    public string Reason { get; }

    /// <summary>True when the bytes ended before the message did (more bytes could complete it).</summary>
    public bool IsTruncated { get; }

    /// <summary>Creates a format error at a field and offset.</summary>
    public IsoFormatException(string reason, int field = -1, int offset = -1, bool truncated = false)
        : base(Describe(reason, field, offset))
    {
        Reason = reason;
        Field = field;
        Offset = offset;
        IsTruncated = truncated;
    }

    private static string Describe(string reason, int field, int offset)
    {
        string where = (field, offset) switch
        {
            ( < 0, < 0) => "",
            ( < 0, _) => $" (at offset {offset})",
            (0, < 0) => " (MTI)",
            (0, _) => $" (MTI, at offset {offset})",
            (_, < 0) => $" (field {field})",
            _ => $" (field {field}, at offset {offset})",
        };
        return reason + where;
    }
}

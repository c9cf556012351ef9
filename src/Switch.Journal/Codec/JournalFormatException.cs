namespace Switch.Journal.Codec;

/// <summary>Bytes that are not a valid journal event (or spool record): says where and what.</summary>
public sealed class JournalFormatException(int offset, string problem)
    : Exception($"journal event: offset {offset}: {problem}")
{
    /// <summary>Byte offset in the input where the problem was found.</summary>
    public int Offset { get; } = offset;

    /// <summary>What is wrong, as a sentence.</summary>
    public string Problem { get; } = problem;
}

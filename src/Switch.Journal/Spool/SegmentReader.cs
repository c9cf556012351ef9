using System.Buffers.Binary;
using Switch.Journal.Codec;

namespace Switch.Journal.Spool;

/// <summary>The outcome of reading the next record of a segment.</summary>
public enum SegmentRead
{
    /// <summary>A valid record was read.</summary>
    Record,
    /// <summary>The data ends exactly after the last record.</summary>
    End,
    /// <summary>The bytes after the last good record are not a valid record (torn write, corruption, or still being written).</summary>
    Bad,
}

/// <summary>
/// Reads one segment's records in order through a large buffer (one read syscall per megabyte, not per record).
/// Used by recovery (which truncates at the first bad record), the forwarder and replay.
/// </summary>
public sealed class SegmentReader : IDisposable
{
    private const int BufferBytes = 1024 * 1024;
    private readonly ISpoolFile _file;
    private readonly byte[] _buffer = new byte[BufferBytes];
    private long _bufferStart;
    private int _bufferLength;
    private long _lastSequence;

    private SegmentReader(ISpoolFile file, string path, long firstSequence)
    {
        _file = file;
        Path = path;
        FirstSequence = firstSequence;
        Offset = SegmentFormat.HeaderBytes;
        _lastSequence = firstSequence - 1;
    }

    /// <summary>The segment file.</summary>
    public string Path { get; }

    /// <summary>The sequence the file name announces.</summary>
    public long FirstSequence { get; }

    /// <summary>Offset just after the last good record (where a truncation would cut).</summary>
    public long Offset { get; private set; }

    /// <summary>Sequence of the last good record read (FirstSequence - 1 before any).</summary>
    public long LastSequence => _lastSequence;

    /// <summary>Why the last <see cref="SegmentRead.Bad"/> result was bad.</summary>
    public string Problem { get; private set; } = "";

    /// <summary>The payload of the last record read (valid until the next read).</summary>
    public ReadOnlyMemory<byte> Payload { get; private set; }

    /// <summary>Opens a segment; returns null with <paramref name="problem"/> when its header is torn or invalid.</summary>
    public static SegmentReader? Open(ISpoolStorage storage, string path, bool forWriting, out string? problem)
    {
        long first = SegmentFormat.FirstSequenceOf(System.IO.Path.GetFileName(path));
        ISpoolFile file = forWriting ? storage.Open(path) : storage.OpenRead(path);
        Span<byte> header = stackalloc byte[SegmentFormat.HeaderBytes];
        int n = file.Read(0, header);
        problem = first < 0 ? "file name is not a segment's" : SegmentFormat.CheckHeader(header[..n], first);
        if (problem is null) return new SegmentReader(file, path, first);
        file.Dispose();
        return null;
    }

    /// <summary>Reads the next record; on <see cref="SegmentRead.Bad"/> the position stays after the last good record.</summary>
    public SegmentRead Next()
    {
        if (!Ensure(Offset, SegmentFormat.RecordHeaderBytes, out int available))
            return available == 0 ? SegmentRead.End : Fail($"{available} bytes after the last record, too few for a record header");
        ReadOnlySpan<byte> head = Slice(Offset, SegmentFormat.RecordHeaderBytes);
        int length = BinaryPrimitives.ReadInt32LittleEndian(head);
        uint crc = BinaryPrimitives.ReadUInt32LittleEndian(head[4..]);
        if (length == 0 && crc == 0) return Fail("zeros after the last record (unwritten space)");
        if (length < JournalEventCodec.FixedBytes || length > JournalEventCodec.EncodedBytesMax) return Fail($"record length {length} is out of range");
        if (!Ensure(Offset + SegmentFormat.RecordHeaderBytes, length, out _)) return Fail($"record of {length} bytes is cut short");
        ReadOnlyMemory<byte> payload = _buffer.AsMemory((int)(Offset + SegmentFormat.RecordHeaderBytes - _bufferStart), length);
        if (Crc32C.Compute(payload.Span) != crc) return Fail("checksum mismatch");
        long seq;
        try
        {
            seq = JournalEventCodec.PeekId(payload.Span).Sequence;
        }
        catch (JournalFormatException ex)
        {
            return Fail(ex.Problem);
        }
        if (seq <= _lastSequence) return Fail($"sequence {seq} does not follow {_lastSequence}");
        _lastSequence = seq;
        Payload = payload;
        Offset += SegmentFormat.RecordHeaderBytes + length;
        return SegmentRead.Record;
    }

    /// <summary>Cuts the file just after the last good record.</summary>
    public void TruncateHere()
    {
        _file.SetLength(Offset);
        _file.Flush();
        _bufferLength = 0;
    }

    /// <summary>Forgets buffered bytes so the next read sees data written since (the forwarder follows the writer).</summary>
    public void Refresh() => _bufferLength = 0;

    /// <summary>Closes the file.</summary>
    public void Dispose() => _file.Dispose();

    private SegmentRead Fail(string problem)
    {
        Problem = $"{System.IO.Path.GetFileName(Path)} at offset {Offset}: {problem}";
        return SegmentRead.Bad;
    }

    private ReadOnlySpan<byte> Slice(long offset, int count) => _buffer.AsSpan((int)(offset - _bufferStart), count);

    /// <summary>Makes [offset, offset+count) buffered; false with the bytes available when the file ends first.</summary>
    private bool Ensure(long offset, int count, out int available)
    {
        if (offset >= _bufferStart && offset + count <= _bufferStart + _bufferLength)
        {
            available = count;
            return true;
        }
        _bufferStart = offset;
        _bufferLength = _file.Read(offset, _buffer);
        available = Math.Min(_bufferLength, count);
        return _bufferLength >= count;
    }
}

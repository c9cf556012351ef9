using System.Buffers.Binary;
using System.Globalization;

namespace Switch.Journal.Spool;

/// <summary>
/// The spool's on-disk format (docs/journal.md, "On-disk format"). A segment file is named by the sequence of its first
/// record (20 digits + ".seg") and starts with a 16-byte header: magic "SWJS", u16 format version (1), u16 zero, i64
/// first sequence. Records follow back to back: u32 payload length, u32 CRC-32C of the payload, the payload (one
/// encoded event). Integers are little-endian. A record is valid only whole and with a matching checksum.
/// </summary>
public static class SegmentFormat
{
    /// <summary>File name suffix of segments.</summary>
    public const string Suffix = ".seg";

    /// <summary>Bytes of the segment header.</summary>
    public const int HeaderBytes = 16;

    /// <summary>Bytes before each record's payload (length + checksum).</summary>
    public const int RecordHeaderBytes = 8;

    /// <summary>The format version this build writes and reads.</summary>
    public const ushort FormatVersion = 1;

    private static ReadOnlySpan<byte> Magic => "SWJS"u8;

    /// <summary>The file name of the segment whose first record has <paramref name="firstSequence"/>.</summary>
    public static string FileName(long firstSequence) => firstSequence.ToString("D20", CultureInfo.InvariantCulture) + Suffix;

    /// <summary>The first sequence a segment file name announces, or -1 if the name is not a segment's.</summary>
    public static long FirstSequenceOf(string fileName)
    {
        if (!fileName.EndsWith(Suffix, StringComparison.Ordinal) || fileName.Length != 20 + Suffix.Length) return -1;
        return long.TryParse(fileName.AsSpan(0, 20), NumberStyles.None, CultureInfo.InvariantCulture, out long v) ? v : -1;
    }

    /// <summary>Writes a segment header.</summary>
    public static void WriteHeader(Span<byte> destination, long firstSequence)
    {
        Magic.CopyTo(destination);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[4..], FormatVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[6..], 0);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], firstSequence);
    }

    /// <summary>Why a header is not valid, or null when it is.</summary>
    public static string? CheckHeader(ReadOnlySpan<byte> header, long expectedFirstSequence)
    {
        if (header.Length < HeaderBytes) return $"header truncated ({header.Length} of {HeaderBytes} bytes)";
        if (!header[..4].SequenceEqual(Magic)) return "not a spool segment (bad magic)";
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(header[4..]);
        if (version != FormatVersion) return $"segment format version {version}; this build reads {FormatVersion}";
        long first = BinaryPrimitives.ReadInt64LittleEndian(header[8..]);
        if (first != expectedFirstSequence) return $"header says first sequence {first}, the file name {expectedFirstSequence}";
        return null;
    }

    /// <summary>Frames a payload already placed at <paramref name="record"/>[8..]: writes its length and checksum.</summary>
    public static void FrameRecord(Span<byte> record, int payloadLength)
    {
        BinaryPrimitives.WriteInt32LittleEndian(record, payloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(record[4..], Crc32C.Compute(record.Slice(RecordHeaderBytes, payloadLength)));
    }
}

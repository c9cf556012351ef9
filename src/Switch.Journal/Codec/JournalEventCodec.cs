using System.Buffers.Binary;
using System.Text;
using Switch.Journal.Events;

namespace Switch.Journal.Codec;

/// <summary>
/// The journal's binary encoding, a documented hand layout (docs/journal.md, "Event encoding") chosen over Protocol
/// Buffers because it measured faster with the same size. Version 1:
/// <code>
/// 0  u8   version (1)            1  u8  leg kind          2  u32 node id       6  i64 sequence
/// 14 i64  time UTC (ticks)       22 i64 latency µs        30 i64 amount minor  38 u16 currency numeric
/// 40 then 17 fields, each u8 length + bytes (UTF-8 or binary), in the order of <see cref="FieldNames"/>.
/// </code>
/// All integers little-endian. A later version may append fields; a decoder refuses versions it does not know.
/// </summary>
public static class JournalEventCodec
{
    /// <summary>The layout version this encoder writes.</summary>
    public const byte Version = 1;

    /// <summary>Bytes of the fixed part before the length-prefixed fields.</summary>
    public const int FixedBytes = 40;

    /// <summary>Bytes one variable field may hold (its length prefix is one byte).</summary>
    public const int FieldBytesMax = 255;

    /// <summary>The variable fields in encoding order (used in error messages).</summary>
    public static readonly string[] FieldNames =
    [
        "transactionId", "mti", "processingCode", "panMasked", "panHash", "panEncrypted", "stan", "rrn",
        "terminalId", "merchantId", "acquirerId", "route", "destination", "responseCode", "approvalCode",
        "accountId", "detail",
    ];

    /// <summary>The largest encoding of any event.</summary>
    public static readonly int EncodedBytesMax = FixedBytes + FieldNames.Length * (1 + FieldBytesMax);

    /// <summary>Offset of the sequence in an encoded event (readers peek it without decoding).</summary>
    public const int SequenceOffset = 6;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Bytes <paramref name="e"/> takes encoded (to size a buffer).</summary>
    public static int GetEncodedLength(JournalEvent e)
    {
        int n = FixedBytes + FieldNames.Length;
        n += Utf8(e.TransactionId) + Utf8(e.Mti) + Utf8(e.ProcessingCode) + Utf8(e.PanMasked);
        n += e.PanHash.Length + e.PanEncrypted.Length;
        n += Utf8(e.Stan) + Utf8(e.Rrn) + Utf8(e.TerminalId) + Utf8(e.MerchantId) + Utf8(e.AcquirerId);
        n += Utf8(e.Route) + Utf8(e.Destination) + Utf8(e.ResponseCode) + Utf8(e.ApprovalCode);
        n += Utf8(e.AccountId) + Utf8(e.Detail);
        return n;
    }

    /// <summary>
    /// Encodes <paramref name="e"/> with id <paramref name="id"/> into <paramref name="destination"/> and returns the bytes
    /// written. Throws <see cref="ArgumentException"/> for an event the journal must not store: a field over 255 bytes, no
    /// transaction id, an unknown kind, a PAN that is not masked, or a run of 13+ digits in free text (a PAN by mistake).
    /// </summary>
    public static int Encode(EventId id, JournalEvent e, Span<byte> destination)
    {
        Guard(e);
        if (destination.Length < FixedBytes) throw new ArgumentException("destination too small", nameof(destination));
        destination[0] = Version;
        destination[1] = (byte)e.Kind;
        BinaryPrimitives.WriteUInt32LittleEndian(destination[2..], id.NodeId);
        BinaryPrimitives.WriteInt64LittleEndian(destination[6..], id.Sequence);
        BinaryPrimitives.WriteInt64LittleEndian(destination[14..], e.TimeUtc.Ticks);
        BinaryPrimitives.WriteInt64LittleEndian(destination[22..], e.LatencyUs);
        BinaryPrimitives.WriteInt64LittleEndian(destination[30..], e.AmountMinor);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[38..], e.CurrencyNumeric);
        int at = FixedBytes;
        at = Put(destination, at, e.TransactionId, 0);
        at = Put(destination, at, e.Mti, 1);
        at = Put(destination, at, e.ProcessingCode, 2);
        at = Put(destination, at, e.PanMasked, 3);
        at = Put(destination, at, e.PanHash.Span, 4);
        at = Put(destination, at, e.PanEncrypted.Span, 5);
        at = Put(destination, at, e.Stan, 6);
        at = Put(destination, at, e.Rrn, 7);
        at = Put(destination, at, e.TerminalId, 8);
        at = Put(destination, at, e.MerchantId, 9);
        at = Put(destination, at, e.AcquirerId, 10);
        at = Put(destination, at, e.Route, 11);
        at = Put(destination, at, e.Destination, 12);
        at = Put(destination, at, e.ResponseCode, 13);
        at = Put(destination, at, e.ApprovalCode, 14);
        at = Put(destination, at, e.AccountId, 15);
        at = Put(destination, at, e.Detail, 16);
        return at;
    }

    /// <summary>Encodes into a new array (readers, tests and tools; the append path encodes into its group buffer).</summary>
    public static byte[] Encode(EventId id, JournalEvent e)
    {
        var bytes = new byte[GetEncodedLength(e)];
        int n = Encode(id, e, bytes);
        return n == bytes.Length ? bytes : bytes[..n];
    }

    /// <summary>The id of an encoded event without decoding the rest; throws <see cref="JournalFormatException"/> if too short.</summary>
    public static EventId PeekId(ReadOnlySpan<byte> encoded)
    {
        if (encoded.Length < FixedBytes) throw new JournalFormatException(encoded.Length, $"truncated: {encoded.Length} bytes, the fixed part needs {FixedBytes}");
        if (encoded[0] != Version) throw new JournalFormatException(0, $"unknown version {encoded[0]}; this build reads version {Version}");
        return new EventId(BinaryPrimitives.ReadUInt32LittleEndian(encoded[2..]), BinaryPrimitives.ReadInt64LittleEndian(encoded[6..]));
    }

    /// <summary>Decodes one event; every problem is a <see cref="JournalFormatException"/> naming the offset and the field.</summary>
    public static JournalRecord Decode(ReadOnlySpan<byte> encoded)
    {
        EventId id = PeekId(encoded);
        byte kind = encoded[1];
        if (!LegKinds.IsDefined(kind)) throw new JournalFormatException(1, $"unknown leg kind {kind}");
        long ticks = BinaryPrimitives.ReadInt64LittleEndian(encoded[14..]);
        if (ticks < DateTime.MinValue.Ticks || ticks > DateTime.MaxValue.Ticks) throw new JournalFormatException(14, $"time {ticks} is out of range");
        var reader = new FieldReader();
        var e = new JournalEvent
        {
            Kind = (LegKind)kind,
            TimeUtc = new DateTime(ticks, DateTimeKind.Utc),
            LatencyUs = BinaryPrimitives.ReadInt64LittleEndian(encoded[22..]),
            AmountMinor = BinaryPrimitives.ReadInt64LittleEndian(encoded[30..]),
            CurrencyNumeric = BinaryPrimitives.ReadUInt16LittleEndian(encoded[38..]),
            TransactionId = reader.Text(encoded),
            Mti = reader.Text(encoded),
            ProcessingCode = reader.Text(encoded),
            PanMasked = reader.Text(encoded),
            PanHash = reader.Bytes(encoded),
            PanEncrypted = reader.Bytes(encoded),
            Stan = reader.Text(encoded),
            Rrn = reader.Text(encoded),
            TerminalId = reader.Text(encoded),
            MerchantId = reader.Text(encoded),
            AcquirerId = reader.Text(encoded),
            Route = reader.Text(encoded),
            Destination = reader.Text(encoded),
            ResponseCode = reader.Text(encoded),
            ApprovalCode = reader.Text(encoded),
            AccountId = reader.Text(encoded),
            Detail = reader.Text(encoded),
        };
        if (reader.At != encoded.Length) throw new JournalFormatException(reader.At, $"{encoded.Length - reader.At} bytes after the last field");
        return new JournalRecord(id, e);
    }

    private static void Guard(JournalEvent e)
    {
        if (!LegKinds.IsDefined((byte)e.Kind)) throw new ArgumentException($"unknown leg kind {(byte)e.Kind}", nameof(e));
        if (e.TransactionId.Length == 0) throw new ArgumentException("transactionId is required", nameof(e));
        if (e.TimeUtc.Kind == DateTimeKind.Local) throw new ArgumentException("timeUtc must be UTC", nameof(e));
        if (CountDigits(e.PanMasked) > 10) throw new ArgumentException("panMasked shows more than 10 digits; mask it with PanMask", nameof(e));
        if (HasLongDigitRun(e.Detail)) throw new ArgumentException("detail holds a run of 13 or more digits (a PAN?)", nameof(e));
    }

    private static int CountDigits(string s)
    {
        int n = 0;
        foreach (char c in s) if (char.IsAsciiDigit(c)) n++;
        return n;
    }

    private static bool HasLongDigitRun(string s)
    {
        int run = 0;
        foreach (char c in s)
        {
            run = char.IsAsciiDigit(c) ? run + 1 : 0;
            if (run >= 13) return true;
        }
        return false;
    }

    private static int Utf8(string s) => s.Length == 0 ? 0 : StrictUtf8.GetByteCount(s);

    private static int Put(Span<byte> d, int at, string s, int field)
    {
        if (s.Length == 0)
        {
            d[at] = 0;
            return at + 1;
        }
        if (s.Length > FieldBytesMax) throw TooLong(field, s.Length);
        int n = StrictUtf8.GetBytes(s, d[(at + 1)..]);
        if (n > FieldBytesMax) throw TooLong(field, n);
        d[at] = (byte)n;
        return at + 1 + n;
    }

    private static int Put(Span<byte> d, int at, ReadOnlySpan<byte> b, int field)
    {
        if (b.Length > FieldBytesMax) throw TooLong(field, b.Length);
        d[at] = (byte)b.Length;
        b.CopyTo(d[(at + 1)..]);
        return at + 1 + b.Length;
    }

    private static ArgumentException TooLong(int field, int length) =>
        new($"{FieldNames[field]} is {length} bytes; at most {FieldBytesMax}");

    /// <summary>Walks the length-prefixed fields; the span is passed in because a ref struct field cannot hold it here.</summary>
    private struct FieldReader()
    {
        private int _field;
        public int At { get; private set; } = FixedBytes;

        public string Text(ReadOnlySpan<byte> encoded)
        {
            ReadOnlySpan<byte> raw = Next(encoded);
            if (raw.Length == 0) return "";
            try
            {
                return StrictUtf8.GetString(raw);
            }
            catch (DecoderFallbackException)
            {
                throw new JournalFormatException(At - raw.Length, $"{FieldNames[_field - 1]} is not valid UTF-8");
            }
        }

        public byte[] Bytes(ReadOnlySpan<byte> encoded) => Next(encoded).ToArray();

        private ReadOnlySpan<byte> Next(ReadOnlySpan<byte> encoded)
        {
            string name = FieldNames[_field++];
            if (At >= encoded.Length) throw new JournalFormatException(At, $"truncated: {name} is missing");
            int n = encoded[At];
            if (At + 1 + n > encoded.Length) throw new JournalFormatException(At, $"truncated: {name} announces {n} bytes, {encoded.Length - At - 1} remain");
            var raw = encoded.Slice(At + 1, n);
            At += 1 + n;
            return raw;
        }
    }
}

using System.Buffers.Binary;
using System.Text;
using Switch.Journal.Events;

namespace Switch.Journal.Postgres;

/// <summary>
/// A batch of legs already encoded as binary COPY tuples of journal_leg's columns (in <see cref="LegCopyBatch.Columns"/>
/// order), with the batch's tranlog rows aggregated as the legs arrive. The projector encodes each leg when it reads it,
/// so the decoded row dies young (no batch of objects surviving into the old generation while Postgres writes the
/// previous batch) and the write is one stream of bytes; the buffers are kept and reused batch after batch.
/// An event id seen twice in one batch is kept once (its later copies only counted).
/// </summary>
public sealed class LegCopyBatch
{
    /// <summary>journal_leg's columns as the tuples hold them (the direct COPY and the staging COPY both name these).</summary>
    internal const string Columns = """
        event_node, event_seq, txn_id, leg, event_time, mti, pan_masked, pan_last4, pan_hash, pan_encrypted,
            amount_minor, currency, stan, rrn, terminal_id, acquirer_id, response_code, source_topic, source_partition,
            source_offset, final_response, reversal_rank, processing_code, merchant_id, route, destination, approval_code, account_id,
            detail, latency_us, currency_numeric, event_time_ticks
        """;

    private const short ColumnCount = 32;

    // Postgres timestamps count microseconds from 2000-01-01 UTC.
    private static readonly long PostgresEpochTicks = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;

    // "PGCOPY\n\377\r\n\0", flags 0, header extension length 0 (the binary COPY format's header).
    private static readonly byte[] Header = [(byte)'P', (byte)'G', (byte)'C', (byte)'O', (byte)'P', (byte)'Y', (byte)'\n', 0xFF, (byte)'\r', (byte)'\n', 0, 0, 0, 0, 0, 0, 0, 0, 0];

    private byte[] _buffer = new byte[1 << 16];
    private int _length;
    private readonly HashSet<EventId> _ids = [];
    private readonly Dictionary<string, TranlogRow> _tranlog = new(StringComparer.Ordinal);

    /// <summary>Creates an empty batch.</summary>
    public LegCopyBatch() => Clear();

    /// <summary>Distinct legs in the batch (tuples encoded).</summary>
    public int Count => _ids.Count;

    /// <summary>Legs added, later copies of an event id included.</summary>
    public int Added { get; private set; }

    /// <summary>The batch of <paramref name="legs"/> (tests and tools that hold rows; the projector adds as it reads).</summary>
    public static LegCopyBatch Of(IEnumerable<ProjectedLeg> legs)
    {
        var batch = new LegCopyBatch();
        foreach (var leg in legs) batch.Add(leg);
        return batch;
    }

    /// <summary>Adds a leg: encodes its tuple and folds it into its transaction's tranlog row; false when its event id is already in the batch.</summary>
    public bool Add(in ProjectedLeg leg)
    {
        Added++;
        if (!_ids.Add(leg.Row.EventId)) return false;
        Encode(leg);
        Fold(leg);
        return true;
    }

    /// <summary>Empties the batch and keeps its buffers for the next one.</summary>
    public void Clear()
    {
        Header.CopyTo(_buffer, 0);
        _length = Header.Length;
        _ids.Clear();
        _tranlog.Clear();
        Added = 0;
    }

    /// <summary>The whole binary COPY stream: header, tuples and the end marker (written past the tuples, not kept).</summary>
    internal ReadOnlyMemory<byte> CopyStream()
    {
        Ensure(2);
        BinaryPrimitives.WriteInt16BigEndian(_buffer.AsSpan(_length), -1);
        return _buffer.AsMemory(0, _length + 2);
    }

    /// <summary>One row per transaction of the batch.</summary>
    internal IReadOnlyCollection<TranlogRow> TranlogRows => _tranlog.Values;

    private void Encode(in ProjectedLeg leg)
    {
        var r = leg.Row;
        Ensure(2);
        BinaryPrimitives.WriteInt16BigEndian(_buffer.AsSpan(_length), ColumnCount);
        _length += 2;
        Int64(r.EventId.NodeId);
        Int64(r.EventId.Sequence);
        Text(r.TxnId);
        Text(r.Leg);
        Int64((r.Time.UtcTicks - PostgresEpochTicks) / 10);
        Text(r.Mti);
        Text(r.PanMasked);
        if (r.PanMasked is { Length: >= 4 } masked) Text(masked.AsSpan(masked.Length - 4));
        else Null();
        Bytes(r.PanHash);
        Bytes(r.PanEncrypted);
        if (r.AmountMinor is long amount) Int64(amount);
        else Null();
        Text(r.Currency);
        Text(r.Stan);
        Text(r.Rrn);
        Text(r.TerminalId);
        Text(r.AcquirerId);
        Text(r.ResponseCode);
        Text(leg.Topic);
        Int32(leg.Partition);
        Int64(leg.Offset);
        Ensure(5);
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_length), 1);
        _buffer[_length + 4] = r.FinalResponse ? (byte)1 : (byte)0;
        _length += 5;
        Int16((short)r.Reversal);
        Text(r.ProcessingCode);
        Text(r.MerchantId);
        Text(r.Route);
        Text(r.Destination);
        Text(r.ApprovalCode);
        Text(r.AccountId);
        Text(r.Detail);
        Int64(r.LatencyUs);
        Int32(r.CurrencyNumeric);
        Int16(r.TimeTicks);
    }

    private void Fold(in ProjectedLeg leg)
    {
        var r = leg.Row;
        if (!_tranlog.TryGetValue(r.TxnId, out var t))
            _tranlog[r.TxnId] = t = new TranlogRow(r.TxnId) { First = r.Time, Last = r.Time };
        t.LegCount++;
        if (r.Time < t.First) t.First = r.Time;
        if (r.Time > t.Last) t.Last = r.Time;
        var key = (r.Time, leg.Partition, leg.Offset);
        if (key.CompareTo(t.LatestKey) > 0) (t.LatestKey, t.State) = (key, r.Leg);
        if (key.CompareTo(t.EarliestKey) < 0) (t.EarliestKey, t.Mti) = (key, r.Mti);
        // The descriptive fields are equal on every leg of a transaction; like max() in SQL, a value beats NULL.
        t.PanMasked = Max(t.PanMasked, r.PanMasked);
        t.Currency = Max(t.Currency, r.Currency);
        t.Stan = Max(t.Stan, r.Stan);
        t.Rrn = Max(t.Rrn, r.Rrn);
        t.TerminalId = Max(t.TerminalId, r.TerminalId);
        if (r.AmountMinor is long a && (t.AmountMinor is null || a > t.AmountMinor)) t.AmountMinor = a;
        if (r.FinalResponse && key.CompareTo(t.FinalKey) > 0) (t.FinalKey, t.FinalResponse, t.FinalAt) = (key, r.ResponseCode, r.Time);
        t.ReversalRank = Math.Max(t.ReversalRank, (int)r.Reversal);
    }

    private static string? Max(string? a, string? b) => a is null ? b : b is null ? a : string.CompareOrdinal(a, b) >= 0 ? a : b;

    private void Ensure(int bytes)
    {
        if (_length + bytes <= _buffer.Length) return;
        Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + bytes));
    }

    private void Null()
    {
        Ensure(4);
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_length), -1);
        _length += 4;
    }

    private void Int64(long value)
    {
        Ensure(12);
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_length), 8);
        BinaryPrimitives.WriteInt64BigEndian(_buffer.AsSpan(_length + 4), value);
        _length += 12;
    }

    private void Int32(int value)
    {
        Ensure(8);
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_length), 4);
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_length + 4), value);
        _length += 8;
    }

    private void Int16(short value)
    {
        Ensure(6);
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_length), 2);
        BinaryPrimitives.WriteInt16BigEndian(_buffer.AsSpan(_length + 4), value);
        _length += 6;
    }

    private void Text(string? value)
    {
        if (value is null) Null();
        else Text(value.AsSpan());
    }

    private void Text(ReadOnlySpan<char> value)
    {
        Ensure(4 + Encoding.UTF8.GetMaxByteCount(value.Length));
        int n = Encoding.UTF8.GetBytes(value, _buffer.AsSpan(_length + 4));
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_length), n);
        _length += 4 + n;
    }

    private void Bytes(byte[]? value)
    {
        if (value is null)
        {
            Null();
            return;
        }
        Ensure(4 + value.Length);
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(_length), value.Length);
        value.CopyTo(_buffer, _length + 4);
        _length += 4 + value.Length;
    }

    /// <summary>A transaction's tranlog row as this batch's legs make it (merged into the stored row by the upsert).</summary>
    internal sealed class TranlogRow(string txnId)
    {
        public string TxnId { get; } = txnId;
        public DateTimeOffset First, Last;
        public (DateTimeOffset, int, long) LatestKey = (DateTimeOffset.MinValue, int.MinValue, long.MinValue);
        public (DateTimeOffset, int, long) EarliestKey = (DateTimeOffset.MaxValue, int.MaxValue, long.MaxValue);
        public (DateTimeOffset, int, long) FinalKey = (DateTimeOffset.MinValue, int.MinValue, long.MinValue);
        public string State = "", Mti = "";
        public string? PanMasked, Currency, Stan, Rrn, TerminalId, FinalResponse;
        public long? AmountMinor;
        public DateTimeOffset? FinalAt;
        public int ReversalRank, LegCount;
    }
}

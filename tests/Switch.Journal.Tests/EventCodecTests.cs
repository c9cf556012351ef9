using FsCheck;
using FsCheck.Fluent;
using Switch.Journal.Codec;
using Switch.Journal.Events;

namespace Switch.Journal.Tests;

public sealed class EventCodecTests
{
    [Fact]
    public void An_event_round_trips_with_every_field()
    {
        JournalEvent e = SampleEvents.Approval("txn-1");
        byte[] bytes = JournalEventCodec.Encode(new EventId(7, 42), e);
        JournalRecord back = JournalEventCodec.Decode(bytes);
        Assert.Equal(new EventId(7, 42), back.Id);
        AssertSame(e, back.Event);
        Assert.Equal(JournalEventCodec.GetEncodedLength(e), bytes.Length);
    }

    [Fact]
    public void The_fixed_part_is_laid_out_as_documented()
    {
        byte[] bytes = JournalEventCodec.Encode(new EventId(0x01020304, 0x0A0B0C0D0E0F1011), SampleEvents.Approval("t"));
        Assert.Equal(1, bytes[0]);
        Assert.Equal((byte)LegKind.ResponseOut, bytes[1]);
        Assert.Equal(new byte[] { 4, 3, 2, 1 }, bytes[2..6]);
        Assert.Equal(new byte[] { 0x11, 0x10, 0x0F, 0x0E, 0x0D, 0x0C, 0x0B, 0x0A }, bytes[6..14]);
        Assert.Equal(new byte[] { 0xD2, 0x03 }, bytes[38..40]); // 978 little-endian
        Assert.Equal(1, bytes[40]); // transactionId "t"
        Assert.Equal((byte)'t', bytes[41]);
        Assert.Equal(new EventId(0x01020304, 0x0A0B0C0D0E0F1011), JournalEventCodec.PeekId(bytes));
    }

    [Fact]
    public void Empty_fields_take_one_byte_each()
    {
        var e = new JournalEvent { Kind = LegKind.RouteChange, TransactionId = "x", TimeUtc = DateTime.UnixEpoch };
        byte[] bytes = JournalEventCodec.Encode(new EventId(1, 1), e);
        Assert.Equal(JournalEventCodec.FixedBytes + 17 + 1, bytes.Length);
        Assert.Equal("", JournalEventCodec.Decode(bytes).Event.Detail);
    }

    [Fact]
    public void The_encoder_refuses_a_pan_that_is_not_masked()
    {
        var e = new JournalEvent { Kind = LegKind.RequestIn, TransactionId = "x", PanMasked = SampleEvents.TestPan };
        var ex = Assert.Throws<ArgumentException>(() => JournalEventCodec.Encode(new EventId(1, 1), e));
        Assert.Contains("panMasked", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(SampleEvents.TestPan, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_encoder_refuses_a_card_number_hidden_in_the_detail_text()
    {
        var e = new JournalEvent { Kind = LegKind.RouteChange, TransactionId = "x", Detail = "moved " + SampleEvents.TestPan };
        Assert.Throws<ArgumentException>(() => JournalEventCodec.Encode(new EventId(1, 1), e));
    }

    [Fact]
    public void The_encoder_refuses_missing_transaction_id_unknown_kind_and_long_fields()
    {
        Assert.Throws<ArgumentException>(() => JournalEventCodec.Encode(new EventId(1, 1), new JournalEvent { Kind = LegKind.RequestIn }));
        Assert.Throws<ArgumentException>(() => JournalEventCodec.Encode(new EventId(1, 1), new JournalEvent { Kind = (LegKind)99, TransactionId = "x" }));
        var ex = Assert.Throws<ArgumentException>(() => JournalEventCodec.Encode(new EventId(1, 1),
            new JournalEvent { Kind = LegKind.RouteChange, TransactionId = "x", Detail = new string('é', 200) }));
        Assert.Contains("detail is 400 bytes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_decoder_names_the_offset_of_a_truncated_event()
    {
        byte[] bytes = JournalEventCodec.Encode(new EventId(1, 1), SampleEvents.Approval("txn-1"));
        var short1 = Assert.Throws<JournalFormatException>(() => JournalEventCodec.Decode(bytes.AsSpan(0, 20)));
        Assert.Equal(20, short1.Offset);
        var short2 = Assert.Throws<JournalFormatException>(() => JournalEventCodec.Decode(bytes.AsSpan(0, 44)));
        Assert.Equal(40, short2.Offset);
        Assert.Contains("transactionId", short2.Message, StringComparison.Ordinal);
        var cut = Assert.Throws<JournalFormatException>(() => JournalEventCodec.Decode(bytes.AsSpan(0, bytes.Length - 1)));
        Assert.Contains("detail", cut.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_decoder_refuses_unknown_versions_kinds_trailing_bytes_and_bad_text()
    {
        byte[] bytes = JournalEventCodec.Encode(new EventId(1, 1), SampleEvents.Approval("txn-1"));
        byte[] v2 = (byte[])bytes.Clone();
        v2[0] = 2;
        Assert.Contains("unknown version 2", Assert.Throws<JournalFormatException>(() => JournalEventCodec.Decode(v2)).Message, StringComparison.Ordinal);
        byte[] kind = (byte[])bytes.Clone();
        kind[1] = 0;
        Assert.Equal(1, Assert.Throws<JournalFormatException>(() => JournalEventCodec.Decode(kind)).Offset);
        byte[] trailing = [.. bytes, 0];
        Assert.Contains("after the last field", Assert.Throws<JournalFormatException>(() => JournalEventCodec.Decode(trailing)).Message, StringComparison.Ordinal);
        byte[] text = (byte[])bytes.Clone();
        text[41] = 0xFF; // first byte of transactionId
        var bad = Assert.Throws<JournalFormatException>(() => JournalEventCodec.Decode(text));
        Assert.Contains("transactionId is not valid UTF-8", bad.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Random_bytes_never_crash_the_decoder()
    {
        var rng = new Random(8583);
        byte[] good = JournalEventCodec.Encode(new EventId(1, 1), SampleEvents.Approval("txn-1"));
        for (int i = 0; i < 20_000; i++)
        {
            byte[] input = i % 2 == 0 ? RandomBytes(rng) : Mutate(rng, good);
            try
            {
                JournalEventCodec.Decode(input);
            }
            catch (JournalFormatException)
            {
            }
        }
    }

    [FsCheck.Xunit.Property(MaxTest = 300)]
    public Property Any_event_round_trips(NonNull<string> txn, long amount, ushort currency, long latency, byte kindPick, NonNull<string> detail)
    {
        LegKind[] kinds = Enum.GetValues<LegKind>();
        string tx = new string(txn.Get.Where(c => !char.IsSurrogate(c)).Take(60).ToArray()) is { Length: > 0 } t ? t : "t";
        string text = new string(detail.Get.Where(c => !char.IsSurrogate(c) && !char.IsAsciiDigit(c)).Take(60).ToArray());
        var e = new JournalEvent
        {
            Kind = kinds[kindPick % kinds.Length], TransactionId = tx, AmountMinor = amount, CurrencyNumeric = currency,
            LatencyUs = latency, Detail = text, TimeUtc = DateTime.UnixEpoch.AddTicks(Math.Abs(amount % 1_000_000_000_000)),
        };
        JournalRecord back = JournalEventCodec.Decode(JournalEventCodec.Encode(new EventId(3, amount), e));
        return (back.Event.TransactionId == tx && back.Event.AmountMinor == amount && back.Event.CurrencyNumeric == currency
            && back.Event.Detail == text && back.Event.Kind == e.Kind && back.Event.TimeUtc == e.TimeUtc && back.Id.Sequence == amount).ToProperty();
    }

    internal static void AssertSame(JournalEvent expected, JournalEvent actual)
    {
        Assert.Equal(expected.Kind, actual.Kind);
        Assert.Equal(expected.TransactionId, actual.TransactionId);
        Assert.Equal(expected.TimeUtc, actual.TimeUtc);
        Assert.Equal(DateTimeKind.Utc, actual.TimeUtc.Kind);
        Assert.Equal(expected.LatencyUs, actual.LatencyUs);
        Assert.Equal(expected.Mti, actual.Mti);
        Assert.Equal(expected.ProcessingCode, actual.ProcessingCode);
        Assert.Equal(expected.PanMasked, actual.PanMasked);
        Assert.Equal(expected.PanHash.ToArray(), actual.PanHash.ToArray());
        Assert.Equal(expected.PanEncrypted.ToArray(), actual.PanEncrypted.ToArray());
        Assert.Equal(expected.AmountMinor, actual.AmountMinor);
        Assert.Equal(expected.CurrencyNumeric, actual.CurrencyNumeric);
        Assert.Equal(expected.Stan, actual.Stan);
        Assert.Equal(expected.Rrn, actual.Rrn);
        Assert.Equal(expected.TerminalId, actual.TerminalId);
        Assert.Equal(expected.MerchantId, actual.MerchantId);
        Assert.Equal(expected.AcquirerId, actual.AcquirerId);
        Assert.Equal(expected.Route, actual.Route);
        Assert.Equal(expected.Destination, actual.Destination);
        Assert.Equal(expected.ResponseCode, actual.ResponseCode);
        Assert.Equal(expected.ApprovalCode, actual.ApprovalCode);
        Assert.Equal(expected.AccountId, actual.AccountId);
        Assert.Equal(expected.Detail, actual.Detail);
    }

    private static byte[] RandomBytes(Random rng)
    {
        var b = new byte[rng.Next(0, 400)];
        rng.NextBytes(b);
        if (b.Length > 0 && rng.Next(2) == 0) b[0] = 1;
        return b;
    }

    private static byte[] Mutate(Random rng, byte[] good)
    {
        byte[] b = (byte[])good.Clone();
        for (int k = rng.Next(1, 4); k > 0; k--) b[rng.Next(b.Length)] = (byte)rng.Next(256);
        return rng.Next(3) == 0 ? b[..rng.Next(b.Length)] : b;
    }
}

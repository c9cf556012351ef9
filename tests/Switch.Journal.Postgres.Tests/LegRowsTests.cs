using Confluent.Kafka;
using Switch.Journal.Codec;
using Switch.Journal.Events;
using Switch.Journal.Postgres;
using Switch.Journal.Projection;

namespace Switch.Journal.Postgres.Tests;

/// <summary>A journal record becomes a projection row: leg names, the final response, reversal progress, empty fields as NULL.</summary>
public sealed class LegRowsTests
{
    private static JournalRecord Record(LegKind kind, string mti, string rc = "", ushort currency = 978) => new(new EventId(3, 99), new JournalEvent
    {
        Kind = kind, TransactionId = "txn-1", TimeUtc = new DateTime(2026, 12, 4, 12, 0, 0, DateTimeKind.Utc), Mti = mti,
        PanMasked = Legs.MaskedPan, AmountMinor = 100, CurrencyNumeric = currency, Stan = "000123", ResponseCode = rc,
    });

    [Theory]
    [InlineData(LegKind.ResponseOut, "0110", true)]
    [InlineData(LegKind.ResponseOut, "0210", true)]
    [InlineData(LegKind.ResponseIn, "0110", false)]
    [InlineData(LegKind.ResponseOut, "0430", false)]
    [InlineData(LegKind.ResponseOut, "0810", false)]
    public void Only_the_answer_sent_to_the_acquirer_for_an_authorization_or_financial_request_is_final(LegKind kind, string mti, bool final)
    {
        Assert.Equal(final, LegRows.From(Record(kind, mti, "00")).FinalResponse);
    }

    [Theory]
    [InlineData(LegKind.ReversalQueued, "0420", ReversalProgress.Requested)]
    [InlineData(LegKind.ReversalSent, "0421", ReversalProgress.Requested)]
    [InlineData(LegKind.ReversalAnswered, "0430", ReversalProgress.Reversed)]
    [InlineData(LegKind.RequestIn, "0420", ReversalProgress.Requested)]
    [InlineData(LegKind.ResponseOut, "0430", ReversalProgress.Reversed)]
    [InlineData(LegKind.RequestIn, "0200", ReversalProgress.None)]
    public void A_leg_says_how_far_the_reversal_got(LegKind kind, string mti, ReversalProgress expected)
    {
        Assert.Equal(expected, LegRows.From(Record(kind, mti)).Reversal);
    }

    [Fact]
    public void Fields_map_to_columns_and_empty_ones_become_null()
    {
        var row = LegRows.From(Record(LegKind.RequestIn, "0100"));

        Assert.Equal((new EventId(3, 99), "txn-1", "request_in", "0100", Legs.MaskedPan, "978", 100L), (row.EventId, row.TxnId, row.Leg, row.Mti, row.PanMasked, row.Currency, row.AmountMinor));
        Assert.Equal((null, null, null, null, null), (row.Rrn, row.TerminalId, row.ResponseCode, row.PanHash, row.PanEncrypted));
        Assert.Null(LegRows.From(Record(LegKind.RouteChange, "", currency: 0)).Currency);
    }

    [Fact]
    public void Every_leg_kind_has_a_name()
    {
        foreach (var kind in Enum.GetValues<LegKind>()) Assert.Matches("^[a-z_]+$", LegRows.NameOf(kind));
        Assert.Equal(Enum.GetValues<LegKind>().Length, Enum.GetValues<LegKind>().Select(LegRows.NameOf).Distinct().Count());
    }

    [Theory]
    [InlineData(null, "the record has no value")]
    [InlineData(new byte[] { 1, 2, 3 }, "truncated")]
    [InlineData(new byte[] { 9, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }, "unknown version 9")]
    public void An_undecodable_record_is_refused_with_the_reason(byte[]? value, string reason)
    {
        var record = new ConsumeResult<byte[]?, byte[]?> { Message = new Message<byte[]?, byte[]?> { Value = value } };

        Assert.False(LegRows.TryDecode(record, out var row, out string why));
        Assert.Null(row);
        Assert.Contains(reason, why);
    }

    [Fact]
    public void An_encoded_event_decodes_into_its_row()
    {
        var source = Record(LegKind.ResponseOut, "0110", "00");
        var record = new ConsumeResult<byte[]?, byte[]?> { Message = new Message<byte[]?, byte[]?> { Value = JournalEventCodec.Encode(source.Id, source.Event) } };

        Assert.True(LegRows.TryDecode(record, out var row, out _));
        Assert.Equal((source.Id, "response_out", "00", true), (row!.EventId, row.Leg, row.ResponseCode, row.FinalResponse));
    }

    [Fact]
    public void A_row_becomes_its_event_again_every_field_and_every_kind_state_reset_included()
    {
        foreach (var kind in Enum.GetValues<LegKind>())
        {
            var source = RuntimeEvents.Transaction("txn-rt", 35)[1];
            var e = new JournalEvent
            {
                Kind = kind, TransactionId = source.TransactionId, TimeUtc = source.TimeUtc, LatencyUs = source.LatencyUs, Mti = source.Mti,
                ProcessingCode = source.ProcessingCode, PanMasked = source.PanMasked, PanHash = source.PanHash, PanEncrypted = source.PanEncrypted,
                AmountMinor = source.AmountMinor, CurrencyNumeric = source.CurrencyNumeric, Stan = source.Stan, Rrn = source.Rrn,
                TerminalId = source.TerminalId, MerchantId = source.MerchantId, AcquirerId = source.AcquirerId, Route = source.Route,
                Destination = source.Destination, ResponseCode = source.ResponseCode, ApprovalCode = source.ApprovalCode,
                AccountId = source.AccountId, Detail = source.Detail,
            };
            var back = LegRows.ToRecord(LegRows.From(new JournalRecord(new EventId(4, 77), e)));

            Assert.Equal(new EventId(4, 77), back.Id);
            RuntimeEvents.AssertSame(e, back.Event);
        }
        Assert.Equal("state_reset", LegRows.From(Record(LegKind.StateReset, "")).Leg);
    }

    [Fact]
    public void An_empty_event_survives_the_round_trip_with_empty_fields_and_a_currency_above_999_keeps_its_number()
    {
        var empty = new JournalEvent { Kind = LegKind.RouteChange, TransactionId = "t", TimeUtc = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc) };
        RuntimeEvents.AssertSame(empty, LegRows.ToRecord(LegRows.From(new JournalRecord(new EventId(1, 1), empty))).Event);

        var row = LegRows.From(Record(LegKind.RequestIn, "0100", currency: 1_234));
        Assert.Equal((null, 1_234), (row.Currency, row.CurrencyNumeric));
        Assert.Equal(1_234, LegRows.ToRecord(row).Event.CurrencyNumeric);
    }

    [Fact]
    public void A_row_whose_leg_is_no_kind_is_refused_by_name()
    {
        var row = LegRows.From(Record(LegKind.RequestIn, "0100")) with { Leg = "teleport" };

        Assert.Contains("\"teleport\" is not a leg kind", Assert.Throws<FormatException>(() => LegRows.ToRecord(row)).Message);
    }
}

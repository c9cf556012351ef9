using System.Runtime.InteropServices;
using Confluent.Kafka;
using Switch.Journal.Codec;
using Switch.Journal.Events;
using Switch.Journal.Postgres;

namespace Switch.Journal.Projection;

/// <summary>How a journal record becomes a projection row: leg names, the final response and what a leg says about a reversal.</summary>
public static class LegRows
{
    /// <summary>The leg's name as journal_leg and tranlog store it ("request_in", "reversal_sent", …).</summary>
    public static string NameOf(LegKind kind) => kind switch
    {
        LegKind.RequestIn => "request_in",
        LegKind.RequestOut => "request_out",
        LegKind.ResponseIn => "response_in",
        LegKind.ResponseOut => "response_out",
        LegKind.ReversalQueued => "reversal_queued",
        LegKind.ReversalSent => "reversal_sent",
        LegKind.ReversalAnswered => "reversal_answered",
        LegKind.AdviceQueued => "advice_queued",
        LegKind.AdviceSent => "advice_sent",
        LegKind.AdviceAnswered => "advice_answered",
        LegKind.StandInDecision => "stand_in_decision",
        LegKind.BalanceHold => "balance_hold",
        LegKind.BalanceDebit => "balance_debit",
        LegKind.BalanceRelease => "balance_release",
        LegKind.BalanceCredit => "balance_credit",
        LegKind.RouteChange => "route_change",
        LegKind.Rejected => "rejected",
        LegKind.StateReset => "state_reset",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a leg kind"),
    };

    /// <summary>The leg kind a stored leg name stands for (the inverse of <see cref="NameOf"/>); false for a name no kind has.</summary>
    public static bool TryKindOf(string name, out LegKind kind)
    {
        foreach (LegKind k in Enum.GetValues<LegKind>())
        {
            if (NameOf(k) != name) continue;
            kind = k;
            return true;
        }
        kind = default;
        return false;
    }

    /// <summary>The row of one record. The answer the acquirer got is the response_out of an authorization or financial MTI (01xx, 02xx).</summary>
    public static JournalLegRow From(JournalRecord record)
    {
        var e = record.Event;
        bool reversalMessage = e.Mti.Length == 4 && e.Mti[1] == '4';
        bool final = e.Kind == LegKind.ResponseOut && e.Mti.Length == 4 && e.Mti[1] is '1' or '2';
        bool noAmount = e.AmountMinor == 0 && e.CurrencyNumeric == 0;
        long ticks = e.TimeUtc.Ticks;
        // Postgres keeps microseconds: the row's time is cut to them and the 100-ns remainder travels beside it.
        var time = new DateTimeOffset(new DateTime(ticks - ticks % 10, DateTimeKind.Utc));
        return new JournalLegRow(
            record.Id, e.TransactionId, NameOf(e.Kind), time, e.Mti,
            NullIfEmpty(e.PanMasked), ArrayOf(e.PanHash), ArrayOf(e.PanEncrypted),
            noAmount ? null : e.AmountMinor, e.CurrencyNumeric is 0 or > 999 ? null : e.CurrencyNumeric.ToString("D3"),
            NullIfEmpty(e.Stan), NullIfEmpty(e.Rrn), NullIfEmpty(e.TerminalId), NullIfEmpty(e.AcquirerId), NullIfEmpty(e.ResponseCode),
            final, ReversalOf(e.Kind, reversalMessage),
            NullIfEmpty(e.ProcessingCode), NullIfEmpty(e.MerchantId), NullIfEmpty(e.Route), NullIfEmpty(e.Destination),
            NullIfEmpty(e.ApprovalCode), NullIfEmpty(e.AccountId), NullIfEmpty(e.Detail), e.LatencyUs, e.CurrencyNumeric, (short)(ticks % 10));
    }

    /// <summary>
    /// The record a stored row came from (the inverse of <see cref="From"/>): the state rebuild reads the events the spool
    /// no longer holds from journal_leg. NULL columns become empty fields.
    /// </summary>
    /// <exception cref="FormatException">The row's leg name is no leg kind's (the row cannot be an event).</exception>
    public static JournalRecord ToRecord(JournalLegRow row)
    {
        if (!TryKindOf(row.Leg, out LegKind kind)) throw new FormatException($"journal_leg {row.EventId}: leg \"{row.Leg}\" is not a leg kind");
        int currency = row.CurrencyNumeric != 0 ? row.CurrencyNumeric : ushort.TryParse(row.Currency, out ushort c) ? c : 0;
        return new JournalRecord(row.EventId, new JournalEvent
        {
            Kind = kind,
            TransactionId = row.TxnId,
            TimeUtc = new DateTime(row.Time.UtcTicks + row.TimeTicks, DateTimeKind.Utc),
            LatencyUs = row.LatencyUs,
            Mti = row.Mti,
            ProcessingCode = row.ProcessingCode ?? "",
            PanMasked = row.PanMasked ?? "",
            PanHash = row.PanHash ?? ReadOnlyMemory<byte>.Empty,
            PanEncrypted = row.PanEncrypted ?? ReadOnlyMemory<byte>.Empty,
            AmountMinor = row.AmountMinor ?? 0,
            CurrencyNumeric = (ushort)currency,
            Stan = row.Stan ?? "",
            Rrn = row.Rrn ?? "",
            TerminalId = row.TerminalId ?? "",
            MerchantId = row.MerchantId ?? "",
            AcquirerId = row.AcquirerId ?? "",
            Route = row.Route ?? "",
            Destination = row.Destination ?? "",
            ResponseCode = row.ResponseCode ?? "",
            ApprovalCode = row.ApprovalCode ?? "",
            AccountId = row.AccountId ?? "",
            Detail = row.Detail ?? "",
        });
    }

    /// <summary>Reversal progress: a queued or sent reversal (or a 04xx request) asks; an answered one (or a 04xx response) is done.</summary>
    public static ReversalProgress ReversalOf(LegKind kind, bool reversalMessage) => kind switch
    {
        LegKind.ReversalQueued or LegKind.ReversalSent => ReversalProgress.Requested,
        LegKind.ReversalAnswered => ReversalProgress.Reversed,
        LegKind.RequestIn or LegKind.RequestOut when reversalMessage => ReversalProgress.Requested,
        LegKind.ResponseIn or LegKind.ResponseOut when reversalMessage => ReversalProgress.Reversed,
        _ => ReversalProgress.None,
    };

    /// <summary>The projector's decoder for the journal topic: the value is one encoded event (JournalEventCodec).</summary>
    public static bool TryDecode(ConsumeResult<byte[]?, byte[]?> record, out JournalLegRow? row, out string reason)
    {
        row = null;
        if (record.Message.Value is not { } value)
        {
            reason = "the record has no value";
            return false;
        }
        try
        {
            var decoded = JournalEventCodec.Decode(value);
            if (decoded.Event.TransactionId.Length == 0)
            {
                reason = "the event has no transaction id";
                return false;
            }
            row = From(decoded);
            reason = "";
            return true;
        }
        catch (JournalFormatException ex)
        {
            reason = ex.Message;
            return false;
        }
    }

    private static string? NullIfEmpty(string value) => value.Length == 0 ? null : value;

    // The decoder already gave each byte field an array of its own: the row takes it rather than a second copy.
    private static byte[]? ArrayOf(ReadOnlyMemory<byte> bytes)
    {
        if (bytes.IsEmpty) return null;
        return MemoryMarshal.TryGetArray(bytes, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array : bytes.ToArray();
    }
}

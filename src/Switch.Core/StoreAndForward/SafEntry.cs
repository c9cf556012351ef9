using System.Globalization;
using Switch.Journal.Events;

namespace Switch.Core.StoreAndForward;

/// <summary>What a store-and-forward entry carries to the issuer.</summary>
public enum SafKind
{
    /// <summary>An 0420 reversal advice (repeats 0421), answered by 0430.</summary>
    Reversal,

    /// <summary>An 0120/0220 advice (repeats 0121/0221), answered by 0130/0230.</summary>
    Advice,
}

/// <summary>
/// One reversal or advice waiting for its issuer's answer. It keeps what rebuilding the message needs and nothing of
/// the sensitive authentication data (FAULTS.md I4): the PAN only encrypted under the journal's data key, no PIN
/// block, no track data, no CVV. Its identity is the transaction that queued it plus its kind (a transaction queues at
/// most one of each).
/// </summary>
public sealed class SafEntry
{
    /// <summary>Reversal or advice.</summary>
    public required SafKind Kind { get; init; }

    /// <summary>The connector it goes to.</summary>
    public required string Endpoint { get; init; }

    /// <summary>The transaction that queued it.</summary>
    public required string TransactionId { get; init; }

    /// <summary>The first transmission's MTI (0420, 0120, 0220); a repeat sets the last digit to 1.</summary>
    public required string Mti { get; init; }

    /// <summary>DE11 of every transmission (repeats keep it, so the issuer recognises them).</summary>
    public required string Stan { get; init; }

    /// <summary>DE7 of every transmission, MMDDhhmmss (set when queued: a repeat is the same message again).</summary>
    public required string TransmissionDateTime { get; init; }

    /// <summary>DE3.</summary>
    public string ProcessingCode { get; init; } = "";

    /// <summary>DE2 encrypted under the journal's data key (<see cref="Switch.Journal.Pan.PanProtector.Encrypt"/>).</summary>
    public required ReadOnlyMemory<byte> PanEncrypted { get; init; }

    /// <summary>DE2 masked 6/4 (logs).</summary>
    public string PanMasked { get; init; } = "";

    /// <summary>DE4, minor units.</summary>
    public long AmountMinor { get; init; }

    /// <summary>DE49.</summary>
    public ushort CurrencyNumeric { get; init; }

    /// <summary>DE37.</summary>
    public string Rrn { get; init; } = "";

    /// <summary>DE41.</summary>
    public string TerminalId { get; init; } = "";

    /// <summary>DE42.</summary>
    public string MerchantId { get; init; } = "";

    /// <summary>DE38 carried by the message (the stand-in approval of an advice), or null.</summary>
    public string? ApprovalCode { get; init; }

    /// <summary>DE39 carried by the message (the reason of a reversal, the decision of an advice), or null.</summary>
    public string? ResponseCode { get; init; }

    /// <summary>DE90 original data elements (42 digits), or null.</summary>
    public string? OriginalData { get; init; }

    /// <summary>DE95 replacement amounts of a partial reversal (as received), or null.</summary>
    public string? ReplacementAmounts { get; init; }

    /// <summary>DE12 local time, or null.</summary>
    public string? LocalTime { get; init; }

    /// <summary>DE13 local date, or null.</summary>
    public string? LocalDate { get; init; }

    /// <summary>The remote-transaction index key this entry concerns (a restart rebuilds the index from it), or null.</summary>
    public string? IndexKey { get; init; }

    /// <summary>What the index key means: "timeout" (the switch reverses its own unanswered leg), "reversal" (a terminal's), "stand-in".</summary>
    public string? Reason { get; init; }

    /// <summary>Transmissions so far (journaled before each one: a restart repeats as 0421, never sends 0420 twice).</summary>
    public int Attempts { get; internal set; }

    /// <summary>Transmissions on record (one ahead of <see cref="Attempts"/> while a recorded one could not leave yet).</summary>
    internal int RecordedAttempts { get; set; }

    /// <summary>Monotonic ticks before which it is not sent again.</summary>
    internal long DueTicks { get; set; }

    /// <summary>The issuer answered; only the journal record of the answer is missing (never sent again).</summary>
    internal volatile bool Answered;

    /// <summary>DE39 of the issuer's answer.</summary>
    internal string? AnswerCode { get; set; }

    /// <summary>The MTI of transmission number <paramref name="attempt"/> (0: first).</summary>
    public string MtiOf(int attempt) => attempt == 0 ? Mti : string.Concat(Mti.AsSpan(0, 3), "1");

    /// <summary>The journal event that queues this entry.</summary>
    public JournalEvent ToQueuedEvent(DateTime timeUtc, long latencyUs, string institutionId, string route) => new()
    {
        Kind = Kind == SafKind.Reversal ? LegKind.ReversalQueued : LegKind.AdviceQueued,
        TransactionId = TransactionId,
        TimeUtc = timeUtc,
        LatencyUs = latencyUs,
        Mti = Mti,
        ProcessingCode = ProcessingCode,
        PanMasked = PanMasked,
        PanEncrypted = PanEncrypted,
        AmountMinor = AmountMinor,
        CurrencyNumeric = CurrencyNumeric,
        Stan = Stan,
        Rrn = Rrn,
        TerminalId = TerminalId,
        MerchantId = MerchantId,
        AcquirerId = institutionId,
        Route = route,
        Destination = Endpoint,
        ResponseCode = ResponseCode ?? "",
        ApprovalCode = ApprovalCode ?? "",
        Detail = EventDetail.Format(("dt", TransmissionDateTime), ("od", OriginalData), ("rp", ReplacementAmounts), ("lt", LocalTime), ("ld", LocalDate),
            ("ik", IndexKey), ("why", Reason)),
    };

    /// <summary>A transmission (<paramref name="attempt"/> 0 is the first) or the answer, as a journal event.</summary>
    internal JournalEvent ToDeliveryEvent(bool answered, int attempt, DateTime timeUtc) => new()
    {
        Kind = (Kind, answered) switch
        {
            (SafKind.Reversal, false) => LegKind.ReversalSent,
            (SafKind.Reversal, true) => LegKind.ReversalAnswered,
            (SafKind.Advice, false) => LegKind.AdviceSent,
            _ => LegKind.AdviceAnswered,
        },
        TransactionId = TransactionId,
        TimeUtc = timeUtc,
        Mti = answered ? Switch.Iso8583.Vocabulary.Mti.ResponseOf(Mti) ?? "" : MtiOf(attempt),
        ProcessingCode = ProcessingCode,
        PanMasked = PanMasked,
        AmountMinor = AmountMinor,
        CurrencyNumeric = CurrencyNumeric,
        Stan = Stan,
        Rrn = Rrn,
        TerminalId = TerminalId,
        MerchantId = MerchantId,
        Destination = Endpoint,
        ResponseCode = answered ? AnswerCode ?? "" : "",
        Detail = answered ? "" : EventDetail.Format(("try", (attempt + 1).ToString(CultureInfo.InvariantCulture))),
    };

    /// <summary>The entry a queued event describes; null when the event is not one (or not complete).</summary>
    public static SafEntry? FromQueuedEvent(JournalEvent e)
    {
        SafKind kind;
        if (e.Kind == LegKind.ReversalQueued) kind = SafKind.Reversal;
        else if (e.Kind == LegKind.AdviceQueued) kind = SafKind.Advice;
        else return null;
        if (e.Destination.Length == 0 || e.Mti.Length != 4 || e.Stan.Length == 0 || e.PanEncrypted.IsEmpty || EventDetail.Get(e.Detail, "dt") is null) return null;
        return new SafEntry
        {
            Kind = kind,
            Endpoint = e.Destination,
            TransactionId = e.TransactionId,
            Mti = e.Mti,
            Stan = e.Stan,
            TransmissionDateTime = EventDetail.Get(e.Detail, "dt") ?? "",
            ProcessingCode = e.ProcessingCode,
            PanEncrypted = e.PanEncrypted.ToArray(),
            PanMasked = e.PanMasked,
            AmountMinor = e.AmountMinor,
            CurrencyNumeric = e.CurrencyNumeric,
            Rrn = e.Rrn,
            TerminalId = e.TerminalId,
            MerchantId = e.MerchantId,
            ApprovalCode = e.ApprovalCode.Length == 0 ? null : e.ApprovalCode,
            ResponseCode = e.ResponseCode.Length == 0 ? null : e.ResponseCode,
            OriginalData = EventDetail.Get(e.Detail, "od"),
            ReplacementAmounts = EventDetail.Get(e.Detail, "rp"),
            LocalTime = EventDetail.Get(e.Detail, "lt"),
            LocalDate = EventDetail.Get(e.Detail, "ld"),
            IndexKey = EventDetail.Get(e.Detail, "ik"),
            Reason = EventDetail.Get(e.Detail, "why"),
        };
    }

    /// <summary>Masked, for logs.</summary>
    public override string ToString() => $"{Kind} {Mti} STAN {Stan} PAN {PanMasked} of txn {TransactionId} to {Endpoint}";
}

using Switch.Common.Masking;

namespace Switch.Core.Transactions;

/// <summary>
/// The canonical card transaction: what the pipeline, the on-us authorizer and the issuer gateway read, parsed once
/// from the terminal's ISO 8583 request (the pipeline's validation participant fills it). It holds the clear PAN and
/// the PIN block only in memory for the life of the transaction; <see cref="ToString"/> masks, and nothing here is
/// journaled as it is (the journal event has no field for track data, PIN block or CVV).
/// </summary>
public sealed class CardTransaction
{
    /// <summary>Switch transaction id (unique per node; the journal's transaction id and Kafka key).</summary>
    public required string TransactionId { get; init; }

    /// <summary>Monotonic ticks when the request arrived (see <see cref="Time.IClock"/>).</summary>
    public long StartedTicks { get; init; }

    /// <summary>Deadline on the monotonic clock; past it the transaction is answered 91 (remote) or 96.</summary>
    public long DeadlineTicks { get; init; }

    /// <summary>The request's MTI, e.g. "0200" (a repeat keeps its digit: "0201", "0421").</summary>
    public required string Mti { get; init; }

    /// <summary>What the request asks for.</summary>
    public TransactionKind Kind { get; init; }

    /// <summary>DE2, the clear PAN (memory only). Null when the request has none (e.g. 0800).</summary>
    public string? Pan { get; init; }

    /// <summary>The PAN masked 6/4 ("" without a PAN).</summary>
    public string PanMasked => Pan is null ? "" : PanMask.Mask(Pan);

    /// <summary>DE3 processing code, six digits.</summary>
    public string ProcessingCode { get; init; } = "";

    /// <summary>The first two digits of DE3: 00 purchase, 01 cash withdrawal, 31 balance inquiry.</summary>
    public string TransactionType => ProcessingCode.Length >= 2 ? ProcessingCode[..2] : "";

    /// <summary>DE4 amount in minor units (0 when absent).</summary>
    public long AmountMinor { get; init; }

    /// <summary>DE49 ISO 4217 numeric currency (0 when absent).</summary>
    public ushort CurrencyNumeric { get; init; }

    /// <summary>DE7 transmission date and time, MMDDhhmmss as sent.</summary>
    public string TransmissionDateTime { get; init; } = "";

    /// <summary>DE11 STAN as sent by the terminal.</summary>
    public string Stan { get; init; } = "";

    /// <summary>DE12 local time hhmmss, DE13 local date MMDD, as sent.</summary>
    public string LocalTime { get; init; } = "";

    /// <summary>DE13 local date MMDD, as sent.</summary>
    public string LocalDate { get; init; } = "";

    /// <summary>DE14 expiry YYMM (or from track 2 when DE14 is absent).</summary>
    public string Expiry { get; init; } = "";

    /// <summary>DE22 POS entry mode.</summary>
    public string PosEntryMode { get; init; } = "";

    /// <summary>DE32 acquiring institution id ("" when absent).</summary>
    public string AcquirerId { get; init; } = "";

    /// <summary>DE33 forwarding institution id ("" when absent).</summary>
    public string ForwardingId { get; init; } = "";

    /// <summary>DE35 track 2 (memory only; never journaled or logged).</summary>
    public string? Track2 { get; init; }

    /// <summary>DE37 retrieval reference number.</summary>
    public string Rrn { get; init; } = "";

    /// <summary>DE41 terminal id.</summary>
    public string TerminalId { get; init; } = "";

    /// <summary>DE42 merchant id.</summary>
    public string MerchantId { get; init; } = "";

    /// <summary>DE52 PIN block (8 bytes) or empty when the request carries no PIN.</summary>
    public ReadOnlyMemory<byte> PinBlock { get; init; }

    /// <summary>The DUKPT KSN from the terminal profile's KSN field, or empty.</summary>
    public ReadOnlyMemory<byte> Ksn { get; init; }

    /// <summary>DE90 original data elements of a reversal or completion, parsed; null when absent.</summary>
    public OriginalData? Original { get; init; }

    /// <summary>DE95 actual (replacement) amount of a partial reversal, minor units; null when absent.</summary>
    public long? ReplacementAmountMinor { get; init; }

    /// <summary>Whether a PIN block is present.</summary>
    public bool HasPin => !PinBlock.IsEmpty;

    /// <summary>Masked, for logs.</summary>
    public override string ToString() => $"{Mti} {ProcessingCode} {PanMasked} {AmountMinor}/{CurrencyNumeric} stan {Stan} term {TerminalId} txn {TransactionId}";
}

/// <summary>What a request asks for, from its MTI and processing code.</summary>
public enum TransactionKind
{
    /// <summary>Not a card transaction (network management) or not supported.</summary>
    Unknown,
    /// <summary>0100 authorization (on-us: a hold).</summary>
    Authorization,
    /// <summary>0200 financial purchase (processing code 00).</summary>
    Purchase,
    /// <summary>0200 cash withdrawal (processing code 01).</summary>
    CashWithdrawal,
    /// <summary>0200 or 0100 balance inquiry (processing code 31).</summary>
    BalanceInquiry,
    /// <summary>0120/0220 advice (a 0220 with DE90 completes a 0100 hold).</summary>
    Advice,
    /// <summary>0400/0420 reversal (full, or partial with DE95).</summary>
    Reversal,
}

/// <summary>DE90 original data elements: original MTI (4), STAN (6), DE7 (10), DE32 (11, zero-filled), DE33 (11, zero-filled).</summary>
public sealed record OriginalData(string Mti, string Stan, string TransmissionDateTime, string AcquirerId, string ForwardingId)
{
    /// <summary>The 42-digit DE90 value.</summary>
    public string Format() => Mti + Stan + TransmissionDateTime + AcquirerId.PadLeft(11, '0') + ForwardingId.PadLeft(11, '0');

    /// <summary>Parses a 42-digit DE90; null when the text is not 42 digits.</summary>
    public static OriginalData? Parse(string? de90)
    {
        if (de90 is null || de90.Length != 42) return null;
        foreach (char c in de90) if (c is < '0' or > '9') return null;
        return new OriginalData(de90[..4], de90[4..10], de90[10..20], de90[20..31], de90[31..42]);
    }
}

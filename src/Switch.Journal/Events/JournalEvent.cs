namespace Switch.Journal.Events;

/// <summary>
/// One event of the journal: a leg or a state change of one transaction. There is deliberately no field for track
/// data, PIN blocks, CVV or clear keys (PCI DSS 3.3.1): what is not in the model cannot be serialized. The PAN appears
/// only masked (6/4), as a keyed hash and encrypted under a data key (see <see cref="Pan.PanProtector"/>). The event id
/// is not part of the event: the journal assigns it at append (see <see cref="JournalRecord"/>).
/// </summary>
public sealed class JournalEvent
{
    /// <summary>What the event records.</summary>
    public LegKind Kind { get; init; }

    /// <summary>The transaction this event belongs to (also the Kafka key and partitioning key). Required.</summary>
    public string TransactionId { get; init; } = "";

    /// <summary>Wall-clock time of the event, UTC.</summary>
    public DateTime TimeUtc { get; init; }

    /// <summary>Monotonic time since the transaction started, microseconds (unaffected by clock steps).</summary>
    public long LatencyUs { get; init; }

    /// <summary>Message type indicator, e.g. "0200" ("" when the event has no message).</summary>
    public string Mti { get; init; } = "";

    /// <summary>DE3 processing code.</summary>
    public string ProcessingCode { get; init; } = "";

    /// <summary>The PAN masked 6/4 with <see cref="Switch.Common.Masking.PanMask"/>; the encoder refuses more than 10 digits.</summary>
    public string PanMasked { get; init; } = "";

    /// <summary>HMAC-SHA-256 of the PAN under the configured hash key (32 bytes), for look-ups.</summary>
    public ReadOnlyMemory<byte> PanHash { get; init; }

    /// <summary>The PAN encrypted under the data key (AES-GCM), for reversals and disputes; never the clear PAN.</summary>
    public ReadOnlyMemory<byte> PanEncrypted { get; init; }

    /// <summary>Amount in minor units of <see cref="CurrencyNumeric"/>.</summary>
    public long AmountMinor { get; init; }

    /// <summary>ISO 4217 numeric currency code (e.g. 978); 0 when there is no amount.</summary>
    public ushort CurrencyNumeric { get; init; }

    /// <summary>DE11 STAN.</summary>
    public string Stan { get; init; } = "";

    /// <summary>DE37 retrieval reference number.</summary>
    public string Rrn { get; init; } = "";

    /// <summary>DE41 terminal id.</summary>
    public string TerminalId { get; init; } = "";

    /// <summary>DE42 merchant id.</summary>
    public string MerchantId { get; init; } = "";

    /// <summary>DE32 acquiring institution id.</summary>
    public string AcquirerId { get; init; } = "";

    /// <summary>The route that carried the transaction.</summary>
    public string Route { get; init; } = "";

    /// <summary>The destination (issuer connector, on-us, stand-in).</summary>
    public string Destination { get; init; } = "";

    /// <summary>DE39 response code ("" before a response exists).</summary>
    public string ResponseCode { get; init; } = "";

    /// <summary>DE38 approval code.</summary>
    public string ApprovalCode { get; init; } = "";

    /// <summary>The account a balance effect applies to.</summary>
    public string AccountId { get; init; } = "";

    /// <summary>A short text for balance effects and route changes (at most 255 UTF-8 bytes; no card data).</summary>
    public string Detail { get; init; } = "";
}

/// <summary>An event as stored: its id (node + sequence) and the event.</summary>
public sealed record JournalRecord(EventId Id, JournalEvent Event);

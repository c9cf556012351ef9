using Switch.Journal.Events;

namespace Switch.Journal.Postgres;

/// <summary>How far a transaction's reversal has got, as the tranlog reports it.</summary>
public enum ReversalProgress : short
{
    /// <summary>No reversal seen.</summary>
    None = 0,

    /// <summary>A reversal (04x0/04x1) was sent or queued, not yet acknowledged.</summary>
    Requested = 1,

    /// <summary>The reversal was acknowledged (its response came back).</summary>
    Reversed = 2,
}

/// <summary>
/// One leg event as the projection stores it: masked PAN, keyed PAN hash and PAN encrypted under a data key; never a
/// clear PAN, track data, PIN block or CVV. <see cref="FinalResponse"/> marks the leg whose DE39 is the answer the
/// acquirer got; <see cref="Reversal"/> is what this leg says about the transaction's reversal. The trailing fields
/// (migration 0002) hold the rest of the event, so a row becomes its <see cref="JournalEvent"/> again
/// (<see cref="Projection.LegRows.ToRecord"/>) for the state rebuild: <see cref="TimeTicks"/> is the 100-ns remainder the
/// microsecond timestamp drops, <see cref="CurrencyNumeric"/> the currency as the event has it (<see cref="Currency"/> is
/// its three-digit text, null above 999).
/// </summary>
public sealed record JournalLegRow(
    EventId EventId,
    string TxnId,
    string Leg,
    DateTimeOffset Time,
    string Mti,
    string? PanMasked,
    byte[]? PanHash,
    byte[]? PanEncrypted,
    long? AmountMinor,
    string? Currency,
    string? Stan,
    string? Rrn,
    string? TerminalId,
    string? AcquirerId,
    string? ResponseCode,
    bool FinalResponse,
    ReversalProgress Reversal,
    string? ProcessingCode = null,
    string? MerchantId = null,
    string? Route = null,
    string? Destination = null,
    string? ApprovalCode = null,
    string? AccountId = null,
    string? Detail = null,
    long LatencyUs = 0,
    int CurrencyNumeric = 0,
    short TimeTicks = 0);

/// <summary>A leg and the Kafka record it came from.</summary>
public readonly record struct ProjectedLeg(JournalLegRow Row, string Topic, int Partition, long Offset);

/// <summary>A Kafka record the projector could not decode, kept with its position and the reason.</summary>
public readonly record struct ProjectedReject(string Topic, int Partition, long Offset, string Reason);

/// <summary>The records of one partition a batch covers: offsets <see cref="FirstOffset"/> up to (not including) <see cref="NextOffset"/>.</summary>
public readonly record struct PartitionRange(string Topic, int Partition, long FirstOffset, long NextOffset);

/// <summary>A partition's stored position: the next Kafka offset the projection has not yet written.</summary>
public readonly record struct StoredOffset(string Topic, int Partition, long NextOffset);

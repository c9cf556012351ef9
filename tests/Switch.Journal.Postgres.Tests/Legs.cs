using Switch.Journal.Events;
using Switch.Journal.Postgres;

namespace Switch.Journal.Postgres.Tests;

/// <summary>Leg rows for tests: masked PANs only (the test PAN 4761 73** **** 0010 is never written in clear).</summary>
internal static class Legs
{
    public const string MaskedPan = "476173******0010";
    public static readonly DateTimeOffset T0 = new(2026, 12, 4, 12, 0, 0, TimeSpan.Zero);

    public static JournalLegRow Row(string txnId, string leg, string mti, int secondsAfterT0, string? responseCode = null,
        bool final = false, ReversalProgress reversal = ReversalProgress.None, EventId? eventId = null) =>
        new(eventId ?? NextId(), txnId, leg, T0.AddSeconds(secondsAfterT0), mti, MaskedPan, [1, 2, 3, 4], [9, 9, 9],
            12_345, "978", "000123", "634012345678", "TERM0001", "000001", responseCode, final, reversal);

    private static long s_sequence;

    /// <summary>A fresh event id (node 7, increasing sequence).</summary>
    public static EventId NextId() => new(7, Interlocked.Increment(ref s_sequence));

    /// <summary>The four legs of one approved authorization.</summary>
    public static JournalLegRow[] Approved(string txnId) =>
    [
        Row(txnId, "request_in", "0100", 0),
        Row(txnId, "request_out", "0100", 1),
        Row(txnId, "response_in", "0110", 2, "00"),
        Row(txnId, "response_out", "0110", 3, "00", final: true),
    ];

    public static List<ProjectedLeg> At(string topic, int partition, long firstOffset, params JournalLegRow[] rows) =>
        rows.Select((r, i) => new ProjectedLeg(r, topic, partition, firstOffset + i)).ToList();
}

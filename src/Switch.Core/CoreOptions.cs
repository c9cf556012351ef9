using System.Text.Json.Serialization;
using Switch.Common.Configuration;

namespace Switch.Core;

/// <summary>The "core" section of switch.json: the switch's identity and the pipeline's limits (docs/configuration.md).</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class CoreOptions
{
    /// <summary>The switch's institution id: DE32 of every issuer leg it sends (1–11 digits).</summary>
    public string InstitutionId { get; init; } = "998877";

    /// <summary>A repeat of DE7 + DE11 + DE41 (+ DE32) within this window gets the original answer again.</summary>
    public int DuplicateWindowMs { get; init; } = 600_000;

    /// <summary>Most duplicate-detection entries kept (oldest forgotten first past it).</summary>
    public int DuplicateEntriesMax { get; init; } = 2_000_000;

    /// <summary>Deadline of one transaction from arrival (remote legs are bounded by their connector's timeout first).</summary>
    public int TransactionTimeoutMs { get; init; } = 10_000;

    /// <summary>Most transactions in the pipeline at once; past it a request is answered 96 at once.</summary>
    public int InFlightMax { get; init; } = 20_000;

    /// <summary>Account partitions (each owned by one writer); 0 means one per processor.</summary>
    public int Partitions { get; init; }

    /// <summary>Most requests waiting in one partition's queue of the on-us authorizer; past it a request is answered 96 at once.</summary>
    public int PartitionQueueMax { get; init; } = 10_000;

    /// <summary>How long an on-us approval can be reversed or completed (its entry in the reversal index).</summary>
    public int ReversalWindowMs { get; init; } = 86_400_000;

    /// <summary>Most on-us approvals kept in the reversal index (all partitions; oldest forgotten first past it).</summary>
    public int ReversalEntriesMax { get; init; } = 1_000_000;

    /// <summary>Key store name of the switch's own zone PIN key: DUKPT PIN blocks of on-us cards are translated to it for the PVV verify (none: such PINs are answered 96).</summary>
    public string? DukptPinKeyRef { get; init; }

    /// <summary>First store-and-forward repeat (0421) of an unanswered reversal or advice.</summary>
    public int SafFirstRetryMs { get; init; } = 10_000;

    /// <summary>Longest wait between two store-and-forward repeats (the backoff doubles up to it).</summary>
    public int SafRetryMaxMs { get; init; } = 300_000;

    /// <summary>Most entries in the store-and-forward queue of one endpoint; past it stand-in declines (91).</summary>
    public int SafEntriesMax { get; init; } = 100_000;

    /// <summary>Unanswered issuer legs in a row that open a connector's breaker (its transactions then go to the failover or stand-in at once).</summary>
    public int IssuerBreakerFailuresMax { get; init; } = 5;

    /// <summary>How long an open issuer breaker stays open before one leg is let through to probe.</summary>
    public int IssuerBreakerOpenMs { get; init; } = 30_000;

    /// <summary>Most recent remote transactions remembered for matching terminals' reversals (oldest forgotten first; a reversal of a forgotten one gets 25).</summary>
    public int RemoteTransactionsMax { get; init; } = 200_000;

    /// <summary>Peer acquirer networks, each on its own listener (docs/core.md, "Acquirer peers"); none by default.</summary>
    public List<Pipeline.AcquirerPeerOptions> Acquirers { get; init; } = [];

    /// <summary>Binds and validates the section.</summary>
    public static CoreOptions FromSection(ConfigSection section)
    {
        var options = section.Bind<CoreOptions>();
        options.Validate(section);
        return options;
    }

    /// <summary>Throws <see cref="ConfigException"/> for the first bad value.</summary>
    public void Validate(ConfigSection section)
    {
        if (InstitutionId is null || InstitutionId.Length is < 1 or > 11 || !InstitutionId.All(char.IsAsciiDigit))
            throw section.Error("institutionId", $"is \"{InstitutionId}\"; expected 1 to 11 digits");
        Require(section, "duplicateWindowMs", DuplicateWindowMs, 1_000, 86_400_000);
        Require(section, "duplicateEntriesMax", DuplicateEntriesMax, 1_000, 100_000_000);
        Require(section, "transactionTimeoutMs", TransactionTimeoutMs, 100, 120_000);
        Require(section, "inFlightMax", InFlightMax, 1, 1_000_000);
        Require(section, "partitions", Partitions, 0, 1024);
        Require(section, "partitionQueueMax", PartitionQueueMax, 1, 1_000_000);
        Require(section, "reversalWindowMs", ReversalWindowMs, 60_000, int.MaxValue);
        Require(section, "reversalEntriesMax", ReversalEntriesMax, 1_000, 100_000_000);
        if (DukptPinKeyRef is { Length: 0 }) throw section.Error("dukptPinKeyRef", "is empty; leave it out or name a zone PIN key in the key store");
        Require(section, "safFirstRetryMs", SafFirstRetryMs, 100, 3_600_000);
        Require(section, "safRetryMaxMs", SafRetryMaxMs, SafFirstRetryMs, 86_400_000);
        Require(section, "safEntriesMax", SafEntriesMax, 1, 10_000_000);
        Require(section, "issuerBreakerFailuresMax", IssuerBreakerFailuresMax, 1, 1_000);
        Require(section, "issuerBreakerOpenMs", IssuerBreakerOpenMs, 100, 3_600_000);
        Require(section, "remoteTransactionsMax", RemoteTransactionsMax, 1_000, 10_000_000);
        if (Acquirers is null) throw section.Error("acquirers", "is null; expected a list");
        Pipeline.AcquirerPeers.Validate(section, Acquirers, InstitutionId);
    }

    private static void Require(ConfigSection section, string key, int value, int min, int max)
    {
        if (value < min || value > max) throw section.Error(key, $"is {value}; expected {min} to {max}");
    }
}

using Serilog;
using Switch.Core.Authorization;
using Switch.Core.Issuers;
using Switch.Core.Keys;
using Switch.Core.Metrics;
using Switch.Core.MasterData.Postgres;
using Switch.Core.Pipeline;
using Switch.Core.Time;
using Switch.Journal;
using Switch.Journal.Pan;
using Switch.Routing;
using Switch.Security;

namespace Switch.Core.Hosting;

/// <summary>What the pipeline is composed of: the host builds these (real ones in `switch run`, small ones in tests).</summary>
public sealed class CoreServices
{
    /// <summary>The "core" section.</summary>
    public required CoreOptions Options { get; init; }

    /// <summary>This node's id (the journal's), the prefix of its transaction ids.</summary>
    public required uint NodeId { get; init; }

    /// <summary>The master data snapshot in use.</summary>
    public required MasterDataHolder MasterData { get; init; }

    /// <summary>The route table in use.</summary>
    public required RouteTableHolder Routes { get; init; }

    /// <summary>The authorization security module (MAC verify and generate here; PIN in the authorizer and gateway).</summary>
    public required ISecurityModule Security { get; init; }

    /// <summary>Working keys by key store name.</summary>
    public required IKeyRing Keys { get; init; }

    /// <summary>PAN hash and encryption for the journal and the master data look-up.</summary>
    public required PanProtector Pan { get; init; }

    /// <summary>The on-us authorizer.</summary>
    public required IOnUsAuthorizer OnUs { get; init; }

    /// <summary>The issuer gateway.</summary>
    public required IIssuerGateway Issuers { get; init; }

    /// <summary>The journal.</summary>
    public required IJournal Journal { get; init; }

    /// <summary>Duplicate detection's memory (rebuilt from the journal before serving).</summary>
    public required DuplicateMemory Duplicates { get; init; }

    /// <summary>The clocks.</summary>
    public IClock Clock { get; init; } = SystemClock.Instance;

    /// <summary>Metrics.</summary>
    public ICoreMetrics Metrics { get; init; } = NoCoreMetrics.Instance;

    /// <summary>The log.</summary>
    public ILogger Log { get; init; } = Serilog.Core.Logger.None;
}

/// <summary>Composes the transaction manager and its participants in their order (docs/core.md).</summary>
public static class CorePipeline
{
    /// <summary>
    /// parse → terminal → mac-verify → duplicate → route → authorize (deciding, until DE39 is set), then respond →
    /// mac-sign → journal (always); commit or abort as the journal append decided.
    /// </summary>
    public static TransactionManager Create(CoreServices s)
    {
        var respond = new ResponseParticipant();
        var sign = new MacSignParticipant(s.Security, s.Keys);
        var journal = new JournalParticipant(s.Journal, s.Clock, s.Log);
        var ids = new TransactionIds(s.NodeId, s.Clock.UtcNow);
        IParticipant[] participants =
        [
            new ParseParticipant(s.Pan, s.Log, new AcquirerPeers(s.Options.Acquirers)),
            new TerminalParticipant(s.Log),
            new MacVerifyParticipant(s.Security, s.Keys, s.Log),
            new DuplicateParticipant(s.Duplicates, s.Clock, s.Metrics, s.Log),
            new RouteParticipant(s.Routes, s.Log),
            new AuthorizeParticipant(s.OnUs, s.Issuers, s.Clock, s.Log),
            respond,
            sign,
            journal,
        ];
        return new TransactionManager(participants, respond, sign, s.MasterData, ids, s.Options, s.Clock, s.Metrics, s.Log)
        {
            FormatErrors = new FormatErrorAnswers(s.Security, s.Keys, journal, ids, s.MasterData, s.Clock, s.Log),
        };
    }
}

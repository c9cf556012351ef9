using Switch.Core.Authorization;
using Switch.Core.Issuers;
using Switch.Core.MasterData;
using Switch.Core.Transactions;
using Switch.Iso8583.Message;
using Switch.Journal.Events;
using Switch.Network.Acceptor;
using Switch.Routing;
using Switch.Security.Keys;

namespace Switch.Core.Pipeline;

/// <summary>
/// Everything one transaction carries through the participants (jPOS's Context): the request and its session, the
/// canonical transaction, the terminal, the route, the decisions, the journal events and the answer. One instance per
/// transaction, touched by one participant at a time, so it needs no locks.
/// </summary>
public sealed class TransactionContext
{
    /// <summary>Creates the context of one request.</summary>
    public TransactionContext(string transactionId, IsoMessage request, SessionContext session, long startedTicks, long deadlineTicks, MasterDataSnapshot masterData)
    {
        TransactionId = transactionId;
        Request = request;
        Session = session;
        StartedTicks = startedTicks;
        DeadlineTicks = deadlineTicks;
        MasterData = masterData;
    }

    /// <summary>The switch's transaction id (unique per node).</summary>
    public string TransactionId { get; }

    /// <summary>The terminal's request as decoded.</summary>
    public IsoMessage Request { get; }

    /// <summary>The connection it came on.</summary>
    public SessionContext Session { get; }

    /// <summary>Monotonic ticks at arrival.</summary>
    public long StartedTicks { get; }

    /// <summary>Monotonic deadline of the transaction.</summary>
    public long DeadlineTicks { get; }

    /// <summary>The master data snapshot read once at arrival (a reload does not change it midway).</summary>
    public MasterDataSnapshot MasterData { get; }

    /// <summary>The canonical transaction (null until the parse participant built it, or when the request is malformed).</summary>
    public CardTransaction? Transaction { get; set; }

    /// <summary>The terminal's profile (null when DE41 names no known terminal).</summary>
    public TerminalProfile? Terminal { get; set; }

    /// <summary>The acquirer peer whose listener the request came on (null: one of the master data's terminals).</summary>
    public AcquirerPeerOptions? Acquirer { get; set; }

    /// <summary>The loaded TAK when the terminal uses a MAC (its profile requires one, or it sent one).</summary>
    public SecureKey? MacKey { get; set; }

    /// <summary>True when the answer carries a MAC (the terminal uses one and the answer is not a 63).</summary>
    public bool MacInUse { get; set; }

    /// <summary>The route table snapshot read once for this transaction.</summary>
    public RouteTable? RouteTable { get; set; }

    /// <summary>The route that matched (null when none, or before routing).</summary>
    public Route? Route { get; set; }

    /// <summary>The PAN's keyed hash (journal and master data key), when the request has a valid PAN.</summary>
    public byte[]? PanHash { get; set; }

    /// <summary>The PAN's keyed hash as lowercase hex (the master data card key).</summary>
    public string? PanHashHex { get; set; }

    /// <summary>The PAN encrypted under the journal's data key.</summary>
    public byte[]? PanEncrypted { get; set; }

    /// <summary>The on-us authorizer's decision, when it was asked.</summary>
    public OnUsDecision? OnUsDecision { get; set; }

    /// <summary>The issuer gateway's decision, when it was asked.</summary>
    public IssuerDecision? IssuerDecision { get; set; }

    /// <summary>DE39 once decided; the deciding participants stop at the first one that sets it.</summary>
    public string? ResponseCode { get; private set; }

    /// <summary>Which participant decided DE39 (for logs and docs/core.md's table).</summary>
    public string? DecidedBy { get; private set; }

    /// <summary>DE38 on approval.</summary>
    public string? ApprovalCode { get; set; }

    /// <summary>DE54 for the answer.</summary>
    public string? AdditionalAmounts { get; set; }

    /// <summary>The answer (null until the response participant built it).</summary>
    public IsoMessage? Response { get; set; }

    /// <summary>The encoded answer as sent (with its MAC), kept by duplicate detection.</summary>
    public byte[]? ResponseBytes { get; set; }

    /// <summary>Set when this request repeats one answered (or in flight): the original answer's bytes are sent again.</summary>
    public byte[]? DuplicateOf { get; set; }

    /// <summary>The duplicate-detection entry this transaction claimed (it completes it at commit or abort).</summary>
    internal DuplicateEntry? DuplicateClaim { get; set; }

    /// <summary>Events of the transaction's one journal append (request in, decision effects, response out).</summary>
    public List<JournalEvent> Events { get; } = new(4);

    /// <summary>True once the journal append completed: participants commit; otherwise they abort.</summary>
    public bool Durable { get; set; }

    /// <summary>Set by the journal participant when the append failed: the manager builds and signs the answer again (96).</summary>
    public bool Reanswer { get; set; }

    /// <summary>Set when the request came past core.inFlightMax: only the checks run (<see cref="IParticipant.RunsWhenFull"/>), then it is answered 96.</summary>
    public bool Full { get; init; }

    /// <summary>True when DE39 is decided.</summary>
    public bool Decided => ResponseCode is not null;

    /// <summary>Decides DE39 (the first decision stands; later ones are ignored unless <see cref="Override"/> is used).</summary>
    public void Decide(string responseCode, string participant)
    {
        if (ResponseCode is not null) return;
        ResponseCode = responseCode;
        DecidedBy = participant;
    }

    /// <summary>Replaces DE39 after the fact (the journal refused the append: 96 whatever was decided).</summary>
    public void Override(string responseCode, string participant)
    {
        ResponseCode = responseCode;
        DecidedBy = participant;
        ApprovalCode = null;
        AdditionalAmounts = null;
    }
}

using System.Globalization;
using System.Security.Cryptography;
using Serilog;
using Switch.Core.Keys;
using Switch.Core.MasterData;
using Switch.Core.Metrics;
using Switch.Core.StoreAndForward;
using Switch.Core.Time;
using Switch.Core.Transactions;
using Switch.Iso8583.Message;
using Switch.Iso8583.Vocabulary;
using Switch.Journal;
using Switch.Journal.Events;
using Switch.Journal.Pan;
using Switch.Network.Connector;
using Switch.Network.Mux;
using Switch.Routing;
using Switch.Security;

namespace Switch.Core.Issuers;

/// <summary>
/// Remote issuers through connectors (<see cref="IIssuerGateway"/>): the issuer leg (switch STAN, institution id, PIN
/// block translated to the issuer's ZPK), 91 and a queued 0420 when the issuer does not answer, failover to another
/// connector, stand-in when the connector is down or its breaker open, terminals' reversals matched to their remote
/// original and forwarded, and store-and-forward of reversals and advices (<see cref="StoreAndForwardQueues"/>).
/// </summary>
public sealed class IssuerGateway : IIssuerGateway, IAsyncDisposable
{
    /// <summary>DE39 of the switch's own reversal of an unanswered leg: response received too late.</summary>
    private const string TimeoutReversalReason = ResponseCode.ResponseTooLate;

    private readonly CoreOptions _options;
    private readonly IReadOnlyDictionary<string, IsoConnector> _connectors;
    private readonly Dictionary<string, IssuerBreaker> _breakers;
    private readonly IssuerLegs _legs;
    private readonly PanProtector _pans;
    private readonly IClock _clock;
    private readonly ICoreMetrics _metrics;
    private readonly ILogger _log;
    private readonly RemoteIndex _index;
    private int _started;

    /// <summary>A gateway over the configured connectors (by name); <see cref="Start"/> it after <see cref="Apply"/> has replayed the journal.</summary>
    public IssuerGateway(CoreOptions options, IReadOnlyDictionary<string, IsoConnector> connectors, ISecurityModule security, IKeyRing keys,
        IJournal journal, PanProtector pans, IClock clock, ICoreMetrics metrics, ILogger log)
    {
        _options = options;
        _connectors = connectors;
        _pans = pans;
        _clock = clock;
        _metrics = metrics;
        _log = log.ForContext<IssuerGateway>();
        _legs = new IssuerLegs(security, keys, options.InstitutionId);
        _index = new RemoteIndex(options.RemoteTransactionsMax);
        _breakers = connectors.Keys.ToDictionary(n => n, _ => new IssuerBreaker(options.IssuerBreakerFailuresMax, options.IssuerBreakerOpenMs), StringComparer.Ordinal);
        StoreAndForward = new StoreAndForwardQueues(options, connectors, journal, pans, clock, metrics, log);
    }

    /// <summary>The store-and-forward queues (depth per connector).</summary>
    public StoreAndForwardQueues StoreAndForward { get; }

    /// <summary>Remote transactions remembered for reversal matching.</summary>
    public int RemoteTransactions => _index.Count;

    /// <summary>Whether <paramref name="connector"/>'s breaker is open now.</summary>
    public bool IsBreakerOpen(string connector) => _breakers.TryGetValue(connector, out var b) && b.IsOpen(NowMs);

    /// <summary>Starts store-and-forward delivery and the late-reply accounting (once, after the journal replay).</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) == 1) throw new InvalidOperationException("the issuer gateway is already started");
        foreach (var connector in _connectors.Values) connector.Mux.LateResponse += OnLateResponse;
        StoreAndForward.Start();
    }

    private long NowMs => _clock.MonotonicTicks * 1000 / System.Diagnostics.Stopwatch.Frequency;

    /// <inheritdoc/>
    public async ValueTask<IssuerDecision> AuthorizeAsync(IssuerRequest request, CancellationToken ct)
    {
        return request.Transaction.Kind switch
        {
            TransactionKind.Reversal => await ReverseAsync(request, ct).ConfigureAwait(false),
            TransactionKind.Advice => QueueAdvice(request),
            _ => await AuthorizeRemoteAsync(request, ct).ConfigureAwait(false),
        };
    }

    /// <inheritdoc/>
    public void Commit(IssuerDecision decision)
    {
        if (decision.State is not Pending pending) return;
        foreach (var entry in pending.Entries) StoreAndForward.AddReserved(entry);
        if (pending.Index is { } indexed) _index.Add(indexed);
        if (pending.Claimed is { } claimed) claimed.State = pending.ReversalDone ? RemoteState.Reversed : pending.ClaimedFrom;
    }

    /// <inheritdoc/>
    public void Abort(IssuerDecision decision)
    {
        if (decision.State is not Pending pending) return;
        foreach (var entry in pending.Entries) StoreAndForward.Release(entry.Endpoint);
        if (pending.Claimed is { } claimed) claimed.State = pending.ClaimedFrom;
        if (pending.Index is { State: RemoteState.Approved })
            _log.Warning("Issuer approval of txn {TransactionId} was not journaled (the terminal is declined); the issuer keeps it until reconciled",
                decision.Events.Count > 0 ? decision.Events[0].TransactionId : "");
    }

    /// <inheritdoc/>
    public void Apply(JournalRecord record)
    {
        StoreAndForward.Apply(record);
        var e = record.Event;
        string? key = EventDetail.Get(e.Detail, "ik");
        string? reversed = EventDetail.Get(e.Detail, "rv");
        switch (e.Kind)
        {
            case LegKind.RequestOut when key is not null && EventDetail.Get(e.Detail, "od") is { } od:
                _index.Add(new RemoteEntry(key, e.Destination, od, RemoteState.Sent));
                break;
            case LegKind.ResponseIn when key is not null && _index.Find(key) is { } answered:
                answered.State = e.ResponseCode == ResponseCode.Approved ? RemoteState.Approved : RemoteState.Declined;
                break;
            case LegKind.ResponseIn when reversed is not null && e.ResponseCode == ResponseCode.Approved && _index.Find(reversed) is { } original:
                original.State = RemoteState.Reversed;
                break;
            case LegKind.ReversalQueued when key is not null && _index.Find(key) is { } target:
                target.State = EventDetail.Get(e.Detail, "why") == "timeout" ? RemoteState.ReversedBySwitch : RemoteState.Reversed;
                break;
            case LegKind.StandInDecision when key is not null && e.ResponseCode == ResponseCode.Approved:
                _index.Add(new RemoteEntry(key, EventDetail.Get(e.Detail, "ep") ?? KnownDestinations.StandIn, EventDetail.Get(e.Detail, "od") ?? "", RemoteState.StandInApproved));
                break;
        }
    }

    /// <summary>Writes the store-and-forward queues and the remote-transaction index (State/CoreStateSnapshot).</summary>
    internal void WriteSnapshot(BinaryWriter w)
    {
        StoreAndForward.WriteSnapshot(w);
        _index.WriteTo(w);
    }

    /// <summary>Reads what <see cref="WriteSnapshot"/> wrote (at start, before <see cref="Apply"/> of what follows and <see cref="Start"/>).</summary>
    internal void ReadSnapshot(BinaryReader r)
    {
        StoreAndForward.ReadSnapshot(r);
        _index.ReadFrom(r);
    }

    /// <summary>The remote index, for tests comparing rebuilds.</summary>
    internal IEnumerable<string> DescribeIndex() => _index.Describe();

    /// <summary>What a decision will do at commit (or undo at abort).</summary>
    private sealed class Pending
    {
        public List<SafEntry> Entries { get; } = [];
        public RemoteEntry? Index { get; set; }
        public RemoteEntry? Claimed { get; set; }
        public RemoteState ClaimedFrom { get; set; }
        public bool ReversalDone { get; set; }
    }

    // ---- authorization, balance inquiry ----

    private async ValueTask<IssuerDecision> AuthorizeRemoteAsync(IssuerRequest request, CancellationToken ct)
    {
        var route = request.Route;
        var events = new List<JournalEvent>(4);
        string destination = route.Destination;
        if (destination == KnownDestinations.StandIn) return StandIn(request, request.MasterData.Issuer(destination), null, events);
        if (!Available(destination, out string why)) return await FallBackAsync(request, destination, why, events, ct).ConfigureAwait(false);
        var decision = await SendLegAsync(request, destination, events, ct).ConfigureAwait(false);
        return decision ?? await FallBackAsync(request, destination, "its connection closed", events, ct).ConfigureAwait(false);
    }

    /// <summary>The route's failover when <paramref name="destination"/> cannot take the transaction: another connector, stand-in, or 91.</summary>
    private async ValueTask<IssuerDecision> FallBackAsync(IssuerRequest request, string destination, string why, List<JournalEvent> events, CancellationToken ct)
    {
        var txn = request.Transaction;
        string? failover = request.Route.Failover;
        if (failover == KnownDestinations.StandIn)
        {
            events.Add(Event(LegKind.RouteChange, request, failover, txn.Mti, txn.Stan, detail: Detail(("from", destination), ("why", why))));
            return StandIn(request, request.MasterData.Issuer(destination), _connectors.ContainsKey(destination) ? destination : null, events);
        }
        if (failover is not null && failover != KnownDestinations.OnUs && Available(failover, out _))
        {
            events.Add(Event(LegKind.RouteChange, request, failover, txn.Mti, txn.Stan, detail: Detail(("from", destination), ("why", why))));
            var decision = await SendLegAsync(request, failover, events, ct).ConfigureAwait(false);
            if (decision is not null) return decision;
        }
        _log.Information("Txn {TransactionId} ({Pan}): issuer {Destination} unavailable ({Why}) and no failover takes it: 91", txn.TransactionId, txn.PanMasked, destination, why);
        return Decision(ResponseCode.IssuerOrSwitchInoperative, destination, events);
    }

    /// <summary>Whether <paramref name="connector"/> can take a leg now: configured, usable (signed on when required), breaker closed.</summary>
    private bool Available(string connector, out string why)
    {
        if (!_connectors.TryGetValue(connector, out var c)) why = "not a configured connector";
        else if (!c.IsUsable) why = $"connector {c.Health}";
        else if (!_breakers[connector].Allows(NowMs)) why = "breaker open";
        else
        {
            why = "";
            return true;
        }
        return false;
    }

    /// <summary>Sends the issuer leg and maps its answer; null when nothing was sent because no connection was usable.</summary>
    private async ValueTask<IssuerDecision?> SendLegAsync(IssuerRequest request, string target, List<JournalEvent> events, CancellationToken ct)
    {
        var txn = request.Transaction;
        var connector = _connectors[target];
        var built = await _legs.BuildAsync(request, connector, request.MasterData.Issuer(target)?.ZpkRef, ct).ConfigureAwait(false);
        if (built.Leg is not { } leg)
        {
            _log.Warning("Txn {TransactionId} ({Pan}) to {Destination}: {Reason}; answered {ResponseCode}", txn.TransactionId, txn.PanMasked, target, built.Reason, built.ResponseCode);
            return Decision(built.ResponseCode!, target, events);
        }
        string stan = leg.GetString(11)!;
        string legOriginal = new OriginalData(leg.Mti!, stan, leg.GetString(7) ?? "", _options.InstitutionId, "").Format();
        string key = RemoteIndex.KeyOf(txn.TerminalId, txn.Stan, txn.TransmissionDateTime, txn.AcquirerId);
        int sentAt = events.Count;
        events.Add(Event(LegKind.RequestOut, request, target, leg.Mti!, stan, detail: Detail(("ik", key), ("od", legOriginal))));
        var result = await connector.SendAsync(leg, null, ct).ConfigureAwait(false);
        switch (result.Status)
        {
            case MuxStatus.Answered:
                return Answered(request, target, result.Response!, stan, key, legOriginal, events);
            case MuxStatus.TimedOut or MuxStatus.SendFailed:
                if (_breakers[target].Failed(NowMs)) _log.Warning("Connector {Connector}: breaker opened after {Failures} unanswered legs", target, _options.IssuerBreakerFailuresMax);
                return Unanswered(request, target, leg, key, legOriginal, $"{result.Status}: {result.Error}", ResponseCode.IssuerOrSwitchInoperative, events);
            case MuxStatus.NotConnected:
                events.RemoveAt(sentAt);
                return null;
            default:
                // Refused before it left (pending table full, key in use): the issuer never saw it.
                events.RemoveAt(sentAt);
                _log.Warning("Txn {TransactionId} ({Pan}) to {Destination} refused by the connector: {Error}", txn.TransactionId, txn.PanMasked, target, result.Error);
                return Decision(ResponseCode.IssuerOrSwitchInoperative, target, events);
        }
    }

    private IssuerDecision Answered(IssuerRequest request, string target, IsoMessage response, string stan, string key, string legOriginal, List<JournalEvent> events)
    {
        _breakers[target].Succeeded();
        string? code = response.GetString(39);
        if (code is not { Length: 2 } || !char.IsAsciiLetterOrDigit(code[0]) || !char.IsAsciiLetterOrDigit(code[1]))
        {
            // An answer that says nothing usable may still be an approval at the issuer: reverse it, decline the terminal.
            events.Add(Event(LegKind.ResponseIn, request, target, response.Mti ?? "", stan, responseCode: "", detail: Detail(("ik", key), ("why", "no valid DE39"))));
            return Unanswered(request, target, null, key, legOriginal, "answer without a valid DE39", ResponseCode.SystemMalfunction, events, legMti: request.Transaction.Mti);
        }
        string? approval = code == ResponseCode.Approved ? response.GetString(38) : null;
        events.Add(Event(LegKind.ResponseIn, request, target, response.Mti ?? "", stan, code, approval ?? "", Detail(("ik", key))));
        var pending = new Pending { Index = new RemoteEntry(key, target, legOriginal, code == ResponseCode.Approved ? RemoteState.Approved : RemoteState.Declined) };
        return new IssuerDecision { ResponseCode = code, ApprovalCode = approval, IssuerResponse = response, Destination = target, Events = events, State = pending };
    }

    /// <summary>No usable answer: <paramref name="responseCode"/> to the terminal and an 0420 of the leg queued in store-and-forward.</summary>
    private IssuerDecision Unanswered(IssuerRequest request, string target, IsoMessage? leg, string key, string legOriginal, string why, string responseCode,
        List<JournalEvent> events, string? legMti = null)
    {
        var txn = request.Transaction;
        var pending = new Pending { Index = new RemoteEntry(key, target, legOriginal, RemoteState.ReversedBySwitch) };
        if (txn.Pan is null || !StoreAndForward.TryReserve(target))
        {
            // Not reversed by the switch: a terminal's own reversal must still go to the issuer.
            pending.Index = new RemoteEntry(key, target, legOriginal, RemoteState.Sent);
            _log.Error("Txn {TransactionId} ({Pan}) to {Destination} unanswered ({Why}) and its reversal cannot be queued (store-and-forward full at {Max}): reconcile with the issuer",
                txn.TransactionId, txn.PanMasked, target, why, _options.SafEntriesMax);
            return Decision(responseCode, target, events, pending);
        }
        var entry = NewEntry(SafKind.Reversal, request, target, "0420", TimeoutReversalReason, legOriginal, key, "timeout");
        pending.Entries.Add(entry);
        events.Add(entry.ToQueuedEvent(_clock.UtcNow, LatencyUs(txn), _options.InstitutionId, request.Route.Name));
        _log.Warning("Txn {TransactionId} ({Pan}) {Mti} to {Destination} unanswered ({Why}): {ResponseCode} to the terminal, reversal queued",
            txn.TransactionId, txn.PanMasked, leg?.Mti ?? legMti, target, why, responseCode);
        return Decision(responseCode, target, events, pending);
    }

    // ---- stand-in ----

    /// <summary>
    /// Stand-in: the switch approves a transaction without PIN up to the issuer's stand-in limit (DE38 generated) and
    /// queues an advice for the issuer; anything else is answered 91.
    /// </summary>
    private IssuerDecision StandIn(IssuerRequest request, IssuerProfile? profile, string? adviceEndpoint, List<JournalEvent> events)
    {
        var txn = request.Transaction;
        string? refusal = StandInRefusal(txn, profile);
        if (refusal is null && adviceEndpoint is not null && !StoreAndForward.TryReserve(adviceEndpoint)) refusal = "its advice cannot be queued (store-and-forward full)";
        if (refusal is not null)
        {
            events.Add(Event(LegKind.StandInDecision, request, KnownDestinations.StandIn, txn.Mti, txn.Stan, ResponseCode.IssuerOrSwitchInoperative, detail: Detail(("why", refusal))));
            _log.Information("Txn {TransactionId} ({Pan}) not approved in stand-in: {Why}", txn.TransactionId, txn.PanMasked, refusal);
            return Decision(ResponseCode.IssuerOrSwitchInoperative, KnownDestinations.StandIn, events);
        }
        string approval = "S" + RandomNumberGenerator.GetInt32(0, 100_000).ToString("D5", CultureInfo.InvariantCulture);
        string key = RemoteIndex.KeyOf(txn.TerminalId, txn.Stan, txn.TransmissionDateTime, txn.AcquirerId);
        var pending = new Pending();
        SafEntry? advice = null;
        if (adviceEndpoint is not null)
        {
            string adviceMti = Mti.Class(txn.Mti) == MtiClass.Authorization ? "0120" : "0220";
            advice = NewEntry(SafKind.Advice, request, adviceEndpoint, adviceMti, ResponseCode.Approved, null, key, "stand-in", approval);
            pending.Entries.Add(advice);
        }
        string legOriginal = advice is null ? "" : new OriginalData(advice.Mti, advice.Stan, advice.TransmissionDateTime, _options.InstitutionId, "").Format();
        pending.Index = new RemoteEntry(key, adviceEndpoint ?? KnownDestinations.StandIn, legOriginal, RemoteState.StandInApproved);
        events.Add(Event(LegKind.StandInDecision, request, KnownDestinations.StandIn, txn.Mti, txn.Stan, ResponseCode.Approved, approval,
            Detail(("ik", key), ("od", legOriginal), ("ep", adviceEndpoint))));
        if (advice is not null) events.Add(advice.ToQueuedEvent(_clock.UtcNow, LatencyUs(txn), _options.InstitutionId, request.Route.Name));
        return new IssuerDecision { ResponseCode = ResponseCode.Approved, ApprovalCode = approval, Destination = KnownDestinations.StandIn, Events = events, State = pending };
    }

    private static string? StandInRefusal(CardTransaction txn, IssuerProfile? profile)
    {
        if (profile is null) return "no issuer profile (stand-in limit) for the destination";
        if (txn.HasPin) return "a PIN cannot be verified in stand-in";
        if (txn.Kind is not (TransactionKind.Purchase or TransactionKind.CashWithdrawal or TransactionKind.Authorization)) return $"{txn.Kind} is not decided in stand-in";
        if (txn.Pan is null) return "no PAN";
        if (txn.CurrencyNumeric != profile.CurrencyNumeric) return $"currency {txn.CurrencyNumeric} is not the stand-in limit's {profile.CurrencyNumeric}";
        if (txn.AmountMinor <= 0) return "no amount";
        if (txn.AmountMinor > profile.StandInLimitMinor) return $"amount {txn.AmountMinor} over the stand-in limit {profile.StandInLimitMinor}";
        return null;
    }

    // ---- terminals' reversals and advices ----

    /// <summary>
    /// A terminal's 0400/0420 of a remote transaction: matched to its original by DE90 (not found: 25), forwarded to
    /// the issuer with the issuer leg's DE90 (queued in store-and-forward when the issuer is down, busy with a backlog,
    /// or silent: a reversal is an advice of fact, answered 00); a repeat is answered 00 again without a second reversal.
    /// </summary>
    private async ValueTask<IssuerDecision> ReverseAsync(IssuerRequest request, CancellationToken ct)
    {
        var txn = request.Transaction;
        var events = new List<JournalEvent>(3);
        if (txn.Original is not { } original || txn.Pan is null) return Decision(ResponseCode.OriginalNotFound, request.Route.Destination, events);
        string key = RemoteIndex.KeyOf(txn.TerminalId, original.Stan, original.TransmissionDateTime, original.AcquirerId);
        var found = _index.Find(key);
        if (found is null)
        {
            _log.Information("Reversal txn {TransactionId} ({Pan}): no remote original for terminal {Terminal} STAN {Stan}: 25", txn.TransactionId, txn.PanMasked, txn.TerminalId, original.Stan);
            return Decision(ResponseCode.OriginalNotFound, request.Route.Destination, events);
        }
        var from = found.State;
        // Declined, already reversed by the switch, or by an earlier request: nothing (more) to send; 00 as before.
        if (from is not (RemoteState.Approved or RemoteState.StandInApproved or RemoteState.Sent) || !found.TryMove(from, RemoteState.Reversing))
            return Decision(ResponseCode.Approved, found.Endpoint, events);
        var pending = new Pending { Claimed = found, ClaimedFrom = from };
        string? replacement = request.TerminalRequest.GetString(95);
        if (replacement is not null && replacement.AsSpan().ContainsAnyExcept(ReplacementChars))
        {
            found.State = from;
            return Decision(ResponseCode.FormatError, found.Endpoint, events);
        }
        if (!_connectors.TryGetValue(found.Endpoint, out var connector))
        {
            // Approved in stand-in with no issuer connector to tell: the reversal stays with the switch.
            pending.ReversalDone = true;
            return Decision(ResponseCode.Approved, found.Endpoint, events, pending);
        }
        string mti = Mti.Function(txn.Mti) == MtiFunction.Advice ? "0420" : "0400";
        var entry = NewEntry(SafKind.Reversal, request, found.Endpoint, "0420", request.TerminalRequest.GetString(39), found.LegOriginalData, key, "reversal", replacement: replacement);
        if (Available(found.Endpoint, out _) && !StoreAndForward.HasBacklog(found.Endpoint))
        {
            var online = await SendReversalAsync(request, connector, entry, mti, events, pending, ct).ConfigureAwait(false);
            if (online is not null) return online;
        }
        return QueueReversal(request, entry, events, pending);
    }

    private static readonly System.Buffers.SearchValues<char> ReplacementChars =
        System.Buffers.SearchValues.Create("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ ");

    /// <summary>The reversal sent at once; null when it must go through store-and-forward instead.</summary>
    private async ValueTask<IssuerDecision?> SendReversalAsync(IssuerRequest request, IsoConnector connector, SafEntry entry, string mti, List<JournalEvent> events,
        Pending pending, CancellationToken ct)
    {
        var message = SafMessages.Build(entry, 0, connector.Spec, _options.InstitutionId, _pans);
        message.Mti = mti;
        events.Add(Event(LegKind.RequestOut, request, entry.Endpoint, mti, entry.Stan, detail: Detail(("rv", entry.IndexKey))));
        var result = await connector.SendAsync(message, null, ct).ConfigureAwait(false);
        if (result.IsAnswered)
        {
            _breakers[entry.Endpoint].Succeeded();
            string code = result.Response!.GetString(39) ?? "";
            events.Add(Event(LegKind.ResponseIn, request, entry.Endpoint, result.Response.Mti ?? "", entry.Stan, code, detail: Detail(("rv", entry.IndexKey))));
            pending.ReversalDone = code == ResponseCode.Approved;
            return new IssuerDecision
            {
                ResponseCode = code.Length == 2 ? code : ResponseCode.SystemMalfunction, IssuerResponse = result.Response, Destination = entry.Endpoint, Events = events, State = pending,
            };
        }
        if (result.Status is MuxStatus.TimedOut or MuxStatus.SendFailed)
        {
            _breakers[entry.Endpoint].Failed(NowMs);
            // The issuer may have it: what store-and-forward sends next is a repeat, whatever the first one's MTI.
            var decision = QueueReversal(request, entry, events, pending);
            if (pending.Entries.Count > 0)
            {
                entry.Attempts = 1;
                entry.RecordedAttempts = 1;
                events.Add(entry.ToDeliveryEvent(answered: false, attempt: 0, _clock.UtcNow));
            }
            return decision;
        }
        events.RemoveAt(events.Count - 1);
        return null;
    }

    private IssuerDecision QueueReversal(IssuerRequest request, SafEntry entry, List<JournalEvent> events, Pending pending)
    {
        var txn = request.Transaction;
        if (!StoreAndForward.TryReserve(entry.Endpoint))
        {
            // Not stored, so not acknowledged: the terminal repeats it later.
            _log.Error("Reversal txn {TransactionId} ({Pan}) cannot be queued for {Destination}: store-and-forward full", txn.TransactionId, txn.PanMasked, entry.Endpoint);
            return Decision(ResponseCode.IssuerOrSwitchInoperative, entry.Endpoint, events, pending);
        }
        pending.Entries.Add(entry);
        pending.ReversalDone = true;
        events.Add(entry.ToQueuedEvent(_clock.UtcNow, LatencyUs(txn), _options.InstitutionId, request.Route.Name));
        return Decision(ResponseCode.Approved, entry.Endpoint, events, pending);
    }

    /// <summary>A terminal's 0120/0220 to a remote issuer: stored and forwarded (answered 00 once stored), its DE90 mapped to the issuer leg's.</summary>
    private IssuerDecision QueueAdvice(IssuerRequest request)
    {
        var txn = request.Transaction;
        var events = new List<JournalEvent>(1);
        string? endpoint = _connectors.ContainsKey(request.Route.Destination) ? request.Route.Destination
            : request.Route.Failover is { } f && _connectors.ContainsKey(f) ? f : null;
        if (endpoint is null || txn.Pan is null || !StoreAndForward.TryReserve(endpoint))
            return Decision(ResponseCode.IssuerOrSwitchInoperative, endpoint ?? request.Route.Destination, events);
        string? original = txn.Original is { } o
            ? _index.Find(RemoteIndex.KeyOf(txn.TerminalId, o.Stan, o.TransmissionDateTime, o.AcquirerId))?.LegOriginalData
            : null;
        string adviceMti = Mti.Class(txn.Mti) == MtiClass.Authorization ? "0120" : "0220";
        var entry = NewEntry(SafKind.Advice, request, endpoint, adviceMti, request.TerminalRequest.GetString(39), string.IsNullOrEmpty(original) ? null : original, null, "advice",
            request.TerminalRequest.GetString(38));
        var pending = new Pending();
        pending.Entries.Add(entry);
        events.Add(entry.ToQueuedEvent(_clock.UtcNow, LatencyUs(txn), _options.InstitutionId, request.Route.Name));
        return Decision(ResponseCode.Approved, endpoint, events, pending);
    }

    // ---- building blocks ----

    private SafEntry NewEntry(SafKind kind, IssuerRequest request, string endpoint, string mti, string? responseCode, string? originalData, string? indexKey,
        string reason, string? approvalCode = null, string? replacement = null)
    {
        var txn = request.Transaction;
        return new SafEntry
        {
            Kind = kind,
            Endpoint = endpoint,
            TransactionId = txn.TransactionId,
            Mti = mti,
            Stan = _connectors[endpoint].NextStan(),
            TransmissionDateTime = _clock.UtcNow.ToString("MMddHHmmss", CultureInfo.InvariantCulture),
            ProcessingCode = txn.ProcessingCode,
            PanEncrypted = _pans.Encrypt(txn.Pan),
            PanMasked = txn.PanMasked,
            AmountMinor = txn.AmountMinor,
            CurrencyNumeric = txn.CurrencyNumeric,
            Rrn = txn.Rrn,
            TerminalId = txn.TerminalId,
            MerchantId = txn.MerchantId,
            ApprovalCode = approvalCode,
            ResponseCode = responseCode,
            OriginalData = originalData,
            ReplacementAmounts = replacement,
            LocalTime = txn.LocalTime.Length > 0 ? txn.LocalTime : null,
            LocalDate = txn.LocalDate.Length > 0 ? txn.LocalDate : null,
            IndexKey = indexKey,
            Reason = reason,
        };
    }

    private static IssuerDecision Decision(string responseCode, string destination, List<JournalEvent> events, Pending? pending = null) =>
        new() { ResponseCode = responseCode, Destination = destination, Events = events, State = pending };

    private static string Detail(params (string Key, string? Value)[] pairs) => EventDetail.Format(pairs);

    private long LatencyUs(CardTransaction txn) => txn.StartedTicks == 0 ? 0 : ClockExtensions.MicrosecondsBetween(txn.StartedTicks, _clock.MonotonicTicks);

    private JournalEvent Event(LegKind kind, IssuerRequest request, string destination, string mti, string stan, string responseCode = "", string approvalCode = "",
        string detail = "")
    {
        var txn = request.Transaction;
        return new JournalEvent
        {
            Kind = kind,
            TransactionId = txn.TransactionId,
            TimeUtc = _clock.UtcNow,
            LatencyUs = LatencyUs(txn),
            Mti = mti,
            ProcessingCode = txn.ProcessingCode,
            PanMasked = txn.PanMasked,
            AmountMinor = txn.AmountMinor,
            CurrencyNumeric = txn.CurrencyNumeric,
            Stan = stan,
            Rrn = txn.Rrn,
            TerminalId = txn.TerminalId,
            MerchantId = txn.MerchantId,
            AcquirerId = _options.InstitutionId,
            Route = request.Route.Name,
            Destination = destination,
            ResponseCode = responseCode,
            ApprovalCode = approvalCode,
            Detail = detail,
        };
    }

    /// <summary>A reply after its request's timeout is never forwarded (its terminal was answered 91 and the leg is being reversed): counted and logged.</summary>
    private void OnLateResponse(object? sender, LateResponseEventArgs e)
    {
        if (!e.WasTimedOut)
        {
            _log.Warning("Connector {Connector}: reply {Mti} STAN {Stan} matches no request; dropped", e.Connector, e.Response.Mti, e.Response.GetString(11));
            return;
        }
        _metrics.LateResponse(e.Connector);
        _log.Warning("Connector {Connector}: late reply {Mti} STAN {Stan} DE39 {ResponseCode} after its timeout; not forwarded (its reversal stands)",
            e.Connector, e.Response.Mti, e.Response.GetString(11), e.Response.GetString(39));
    }

    /// <summary>Stops store-and-forward delivery.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var connector in _connectors.Values) connector.Mux.LateResponse -= OnLateResponse;
        await StoreAndForward.DisposeAsync().ConfigureAwait(false);
    }
}

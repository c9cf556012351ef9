using System.Diagnostics;
using System.Globalization;
using System.Text;
using Serilog;
using Switch.Iso20022.Translation;
using Switch.Iso8583.Message;
using Switch.Journal;
using Switch.Journal.Events;
using Switch.Routing;

namespace Switch.Iso20022.Network;

/// <summary>
/// The switch's ISO 20022 handler. A validated pacs.008 (or pacs.009) is routed by its creditor agent (CdtrAgt BICFI,
/// else its clearing-system member id; the instructed agent when there is no creditor agent) through the operator's
/// route table (<see cref="RouteTable.LookupAgent"/>), then forwarded unchanged to an ISO 20022 endpoint, or translated
/// to ISO 8583 (0200) for a connector, whose 0210 becomes the pacs.002 (status and reason from DE 39). Every message in
/// and out is a journal leg, appended and awaited before the answer (and the request legs before it leaves). The rules
/// the switch answers by itself (docs/iso20022.md): no route → RJCT CNOR; destination unreachable (after the failover)
/// → RJCT AB08; no answer in time → RJCT AB05; an unusable answer → RJCT AB09; a message the switch does not route or
/// translate → a group rejection NARR; an unreadable frame → a group rejection FF01.
/// </summary>
public sealed class Iso20022Router : IIso20022Handler
{
    /// <summary>The reason of a payment no route matches (CreditorBankIsNotRegistered).</summary>
    public const string NoRouteReason = "CNOR";

    /// <summary>The reason of a frame the reader refused (InvalidFileFormat).</summary>
    public const string UnreadableReason = "FF01";

    /// <summary>The reason of a message the switch does not route or cannot translate (Narrative: see AddtlInf).</summary>
    public const string NotRoutedReason = "NARR";

    private static readonly HashSet<string> Routed = new(StringComparer.Ordinal) { "pacs.008", "pacs.009" };

    private readonly RouteTableHolder _routes;
    private readonly IJournal _journal;
    private readonly Iso20022Reader _reader;
    private readonly Dictionary<string, IIso20022Endpoint> _endpoints = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IIso8583Gateway> _gateways = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly ILogger _log;

    /// <summary>
    /// A router over the current route table, the journal, and the destinations BIC routes may name: ISO 20022
    /// endpoints and ISO 8583 gateways (names unique across both).
    /// </summary>
    public Iso20022Router(RouteTableHolder routes, IJournal journal, Iso20022Reader reader, IEnumerable<IIso20022Endpoint> endpoints,
        IEnumerable<IIso8583Gateway> gateways, TimeProvider? time = null, ILogger? log = null)
    {
        _routes = routes;
        _journal = journal;
        _reader = reader;
        _time = time ?? TimeProvider.System;
        _log = (log ?? Serilog.Core.Logger.None).ForContext<Iso20022Router>();
        foreach (var endpoint in endpoints)
            if (!_endpoints.TryAdd(endpoint.Name, endpoint)) throw new ArgumentException($"destination '{endpoint.Name}' is given twice", nameof(endpoints));
        foreach (var gateway in gateways)
            if (_endpoints.ContainsKey(gateway.Name) || !_gateways.TryAdd(gateway.Name, gateway))
                throw new ArgumentException($"destination '{gateway.Name}' is given twice", nameof(gateways));
    }

    /// <summary>Every destination name this router can reach (for <see cref="KnownDestinations"/>).</summary>
    public IReadOnlyList<string> DestinationNames => [.. _endpoints.Keys.Concat(_gateways.Keys).Order(StringComparer.Ordinal)];

    /// <inheritdoc/>
    public async ValueTask<Iso20022Answer> HandleAsync(Iso20022Document document, Iso20022Origin origin, CancellationToken ct)
    {
        var tx = new Legs(this, document, origin);
        if (!Routed.Contains(document.MessageType))
            return await RejectGroupAsync(tx, NotRoutedReason, $"{document.MessageName} is not routed; the switch routes pacs.008 and pacs.009", ct).ConfigureAwait(false);
        int transactions = document.Count("CdtTrfTxInf/PmtId/EndToEndId"); // pacs.008 and pacs.009 alike
        if (transactions > 1)
            return await RejectGroupAsync(tx, NotRoutedReason, $"the {document.MessageType} holds {transactions} transactions; the switch routes one per message", ct).ConfigureAwait(false);
        Agent? agent = tx.View.CreditorAgent ?? tx.View.InstructedAgent;
        string? currency = Iso4217.FromAlpha(tx.View.Currency)?.Numeric;
        Route? route = _routes.Current.LookupAgent(new AgentRouteRequest(agent?.Bic, agent?.MemberId, currency));
        if (route is null)
            return await RejectAsync(tx, NoRouteReason, $"no route for creditor agent {(agent is null ? "(none)" : agent.ToString())}", ct).ConfigureAwait(false);
        tx.Route = route.Name;
        var answer = await DispatchAsync(tx, route.Destination, ct).ConfigureAwait(false);
        if (answer is null && route.Failover is { } failover)
        {
            _log.Warning("Payment {Txn} to {Destination} not delivered; failing over to {Failover}", tx.Id, route.Destination, failover);
            answer = await DispatchAsync(tx, failover, ct).ConfigureAwait(false);
        }
        return answer ?? await RejectAsync(tx, PeerOutcome.Offline, tx.LastFailure ?? $"{route.Destination} cannot be reached", ct).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async ValueTask<Iso20022Answer> RefusedAsync(Iso20022Exception error, Iso20022Origin origin, CancellationToken ct)
    {
        string first = error.Errors.Count > 0 ? error.Errors[0].ToString() : error.Message;
        var now = _time.GetUtcNow();
        var leg = new JournalEvent
        {
            Kind = LegKind.Rejected,
            TransactionId = NewTransactionId(),
            TimeUtc = now.UtcDateTime,
            Mti = "iso20022",
            Destination = origin.Listener,
            ResponseCode = "RJCT",
            Detail = Legs.Cut($"{origin.Transport} {error.Kind}: {first}"),
        };
        await AppendAsync([leg], ct).ConfigureAwait(false);
        byte[] xml = StatusReports.GroupRejection(null, null, UnreadableReason, first, now, _reader);
        return new Iso20022Answer(xml, StatusReports.MessageName, "RJCT", UnreadableReason);
    }

    /// <summary>Sends to one destination; null when it could not be reached (the failover may be tried), else the answer.</summary>
    private async Task<Iso20022Answer?> DispatchAsync(Legs tx, string destination, CancellationToken ct)
    {
        tx.Destination = destination;
        if (_endpoints.TryGetValue(destination, out var endpoint)) return await ForwardAsync(tx, endpoint, ct).ConfigureAwait(false);
        if (_gateways.TryGetValue(destination, out var gateway)) return await TranslateAsync(tx, gateway, ct).ConfigureAwait(false);
        tx.LastFailure = $"destination '{destination}' is not an ISO 20022 endpoint or ISO 8583 connector of this switch";
        return null;
    }

    private async Task<Iso20022Answer?> ForwardAsync(Legs tx, IIso20022Endpoint endpoint, CancellationToken ct)
    {
        await AppendAsync(tx.RequestLegs(tx.Leg(LegKind.RequestOut, tx.Document.MessageName)), ct).ConfigureAwait(false);
        PeerOutcome outcome = await endpoint.SendAsync(tx.Document, ct).ConfigureAwait(false);
        if (outcome.Answer is not { } answer)
        {
            tx.LastFailure = outcome.Detail;
            if (outcome.FailureReason == PeerOutcome.Offline) return null;
            return await RejectAsync(tx, outcome.FailureReason!, outcome.Detail, ct).ConfigureAwait(false);
        }
        if (answer.MessageType != "pacs.002")
            return await RejectAsync(tx, PeerOutcome.Error, $"{endpoint.Name} answered a {answer.MessageName}, not a pacs.002", ct).ConfigureAwait(false);
        var status = PaymentView.Of(answer);
        string code = status.Status ?? answer.Value("OrgnlGrpInfAndSts/GrpSts") ?? "";
        string? reason = status.ReasonCode ?? answer.Value("OrgnlGrpInfAndSts/StsRsnInf/Rsn/Cd");
        await AppendAsync([
            tx.Leg(LegKind.ResponseIn, answer.MessageName, code, detail: reason is null ? "" : "reason " + reason),
            tx.Leg(LegKind.ResponseOut, answer.MessageName, code, detail: reason is null ? "" : "reason " + reason),
        ], ct).ConfigureAwait(false);
        return new Iso20022Answer(answer.Source.ToArray(), answer.MessageName, code, reason);
    }

    private async Task<Iso20022Answer?> TranslateAsync(Legs tx, IIso8583Gateway gateway, CancellationToken ct)
    {
        IsoMessage request;
        try
        {
            request = Iso8583Translator.ToIso8583(tx.Document, gateway.Spec);
        }
        catch (Iso20022TranslationException ex)
        {
            return await RejectAsync(tx, NotRoutedReason, ex.Message, ct).ConfigureAwait(false);
        }
        if (gateway.NextStan() is { } stan) request.Set(11, stan);
        await AppendAsync(tx.RequestLegs(tx.Leg(LegKind.RequestOut, request.Mti ?? "", iso8583: request)), ct).ConfigureAwait(false);
        Iso8583Outcome outcome = await gateway.SendAsync(request, ct).ConfigureAwait(false);
        if (outcome.Response is not { } response)
        {
            tx.LastFailure = outcome.Detail;
            if (outcome.FailureReason == PeerOutcome.Offline) return null;
            return await RejectAsync(tx, outcome.FailureReason ?? PeerOutcome.Error, outcome.Detail, ct).ConfigureAwait(false);
        }
        string? de39 = response[39];
        if (de39 is null)
            return await RejectAsync(tx, PeerOutcome.Error, $"{gateway.Name}'s {response.Mti} has no DE 39", ct).ConfigureAwait(false);
        var (status, reason) = StatusCodes.StatusOf(de39);
        byte[] xml = StatusReports.ForTransaction(tx.Document, status, reason, null, response[38], _time.GetUtcNow(), _reader);
        await AppendAsync([
            tx.Leg(LegKind.ResponseIn, response.Mti ?? "", de39, iso8583: response),
            tx.Leg(LegKind.ResponseOut, StatusReports.MessageName, status, detail: reason is null ? "" : "reason " + reason),
        ], ct).ConfigureAwait(false);
        return new Iso20022Answer(xml, StatusReports.MessageName, status, reason);
    }

    /// <summary>Answers RJCT with a reason for the payment's transaction (journaling the request first when it was not yet).</summary>
    private async Task<Iso20022Answer> RejectAsync(Legs tx, string reason, string? info, CancellationToken ct)
    {
        byte[] xml = StatusReports.ForTransaction(tx.Document, "RJCT", reason, info, null, _time.GetUtcNow(), _reader);
        var legs = new List<JournalEvent>(2);
        if (!tx.RequestJournaled) legs.Add(tx.RequestIn());
        legs.Add(tx.Leg(LegKind.ResponseOut, StatusReports.MessageName, "RJCT", detail: $"reason {reason}: {info}"));
        await AppendAsync(legs, ct).ConfigureAwait(false);
        _log.Information("Payment {Txn} rejected {Reason}: {Info}", tx.Id, reason, info);
        return new Iso20022Answer(xml, StatusReports.MessageName, "RJCT", reason);
    }

    private async Task<Iso20022Answer> RejectGroupAsync(Legs tx, string reason, string info, CancellationToken ct)
    {
        byte[] xml = StatusReports.GroupRejection(tx.View.MessageId, tx.Document.MessageName, reason, info, _time.GetUtcNow(), _reader);
        await AppendAsync([tx.RequestIn(), tx.Leg(LegKind.ResponseOut, StatusReports.MessageName, "RJCT", detail: $"reason {reason}: {info}")], ct).ConfigureAwait(false);
        return new Iso20022Answer(xml, StatusReports.MessageName, "RJCT", reason);
    }

    /// <summary>Appends and awaits durability; a journal that refuses means no answer goes out (I2).</summary>
    private async Task AppendAsync(IReadOnlyList<JournalEvent> legs, CancellationToken ct)
    {
        try
        {
            await _journal.AppendAsync(legs, ct).ConfigureAwait(false);
        }
        catch (JournalUnavailableException ex)
        {
            throw new Iso20022UnavailableException($"the journal refused the legs of {legs[0].TransactionId}: {ex.Message}", ex);
        }
    }

    private static string NewTransactionId() => "x20-" + Guid.NewGuid().ToString("N");

    /// <summary>One routed document's journal legs: the ids, amount and agents every leg repeats, and the route taken.</summary>
    private sealed class Legs
    {
        private readonly Iso20022Router _router;
        private readonly long _started = Stopwatch.GetTimestamp();
        private readonly string _origin;
        private readonly long _amountMinor;
        private readonly ushort _currency;

        public Legs(Iso20022Router router, Iso20022Document document, Iso20022Origin origin)
        {
            _router = router;
            Document = document;
            View = PaymentView.Of(document);
            Id = NewTransactionId();
            _origin = $"{origin.Transport}:{origin.Listener}";
            var currency = Iso4217.FromAlpha(View.Currency);
            if (currency is not null && View.Amount is { } amount)
            {
                decimal minor = amount * (decimal)Math.Pow(10, currency.Decimals);
                _amountMinor = minor <= long.MaxValue ? (long)minor : 0;
                _currency = ushort.Parse(currency.Numeric, CultureInfo.InvariantCulture);
            }
        }

        public Iso20022Document Document { get; }
        public PaymentView View { get; }
        public string Id { get; }
        public string Route { get; set; } = "";
        public string Destination { get; set; } = "";
        public bool RequestJournaled { get; set; }
        public string? LastFailure { get; set; }

        /// <summary>The legs before a send: RequestIn the first time (a failover sends again: only its RequestOut), then <paramref name="requestOut"/>.</summary>
        public JournalEvent[] RequestLegs(JournalEvent requestOut)
        {
            JournalEvent[] legs = RequestJournaled ? [requestOut] : [RequestIn(), requestOut];
            RequestJournaled = true;
            return legs;
        }

        public JournalEvent RequestIn() => Leg(LegKind.RequestIn, Document.MessageName,
            detail: $"from {_origin} MsgId {View.MessageId} EndToEndId {View.EndToEndId} UETR {View.Uetr ?? "-"} CdtrAgt {View.CreditorAgent?.ToString() ?? "-"}");

        public JournalEvent Leg(LegKind kind, string messageName, string responseCode = "", IsoMessage? iso8583 = null, string detail = "") => new()
        {
            Kind = kind,
            TransactionId = Id,
            TimeUtc = _router._time.GetUtcNow().UtcDateTime,
            LatencyUs = (long)Stopwatch.GetElapsedTime(_started).TotalMicroseconds,
            Mti = messageName,
            AmountMinor = _amountMinor,
            CurrencyNumeric = _currency,
            Stan = iso8583?[11] ?? "",
            Rrn = iso8583?[37]?.TrimEnd() ?? "",
            ApprovalCode = kind == LegKind.ResponseIn ? iso8583?[38] ?? "" : "",
            AcquirerId = Cut((View.InstructingAgent ?? View.DebtorAgent)?.ToString() ?? ""),
            Route = kind == LegKind.RequestIn ? "" : Route,
            Destination = kind == LegKind.RequestIn ? "" : Destination,
            ResponseCode = responseCode,
            Detail = Cut(detail),
        };

        /// <summary>
        /// Text for the journal: runs of 13 or more digits masked 6/4 with <see cref="Switch.Common.Masking.PanMask"/> (the
        /// journal refuses what could be a PAN; FedNow message ids start with 17 digits), cut to 255 UTF-8 bytes.
        /// </summary>
        public static string Cut(string text)
        {
            text = MaskDigitRuns(text);
            if (Encoding.UTF8.GetByteCount(text) <= 255) return text;
            int n = Math.Min(text.Length, 250);
            while (n > 0 && Encoding.UTF8.GetByteCount(text.AsSpan(0, n)) > 250) n--;
            if (n > 0 && char.IsHighSurrogate(text[n - 1])) n--;
            return text[..n] + "…";
        }

        private static string MaskDigitRuns(string text)
        {
            StringBuilder? sb = null;
            int i = 0;
            while (i < text.Length)
            {
                int start = i;
                while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
                if (i - start >= 13)
                {
                    sb ??= new StringBuilder(text.Length).Append(text, 0, start);
                    sb.Append(Switch.Common.Masking.PanMask.Mask(text.AsSpan(start, i - start)));
                }
                else
                {
                    sb?.Append(text, start, i - start);
                }
                if (i < text.Length && i == start)
                {
                    sb?.Append(text[i]);
                    i++;
                }
            }
            return sb?.ToString() ?? text;
        }
    }
}

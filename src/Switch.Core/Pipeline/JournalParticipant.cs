using Serilog;
using Switch.Core.Time;
using Switch.Core.Transactions;
using Switch.Iso8583.Message;
using Switch.Iso8583.Vocabulary;
using Switch.Journal;
using Switch.Journal.Events;

namespace Switch.Core.Pipeline;

/// <summary>
/// The one durable write on the reply path: RequestIn, the decision's effects and legs, and ResponseOut, in ONE
/// <see cref="IJournal.AppendAsync"/> awaited before the answer goes out (I2). When the append fails the transaction is
/// answered 96 and every participant aborts (the authorizer's effects are undone); a duplicate's replay is not journaled
/// (the original is, once).
/// </summary>
public sealed class JournalParticipant(IJournal journal, IClock clock, ILogger log) : IParticipant
{
    /// <summary>Most events in one append (the journal's limit).</summary>
    public const int EventsMax = 64;

    private readonly ILogger _log = log.ForContext<JournalParticipant>();

    /// <inheritdoc/>
    public string Name => "journal";

    /// <inheritdoc/>
    public bool Always => true;

    /// <inheritdoc/>
    public async ValueTask PrepareAsync(TransactionContext context, CancellationToken ct)
    {
        if (context.DuplicateOf is not null)
        {
            context.Durable = true;
            return;
        }
        BuildEvents(context);
        try
        {
            await journal.AppendAsync(context.Events, ct).ConfigureAwait(false);
            context.Durable = true;
        }
        catch (Exception ex)
        {
            // Fail closed: nothing the decision changed may stand without its record.
            _log.Error("Journal append failed for {Transaction}: {Error}: {Message}; answered 96", context.Transaction?.ToString() ?? context.TransactionId,
                ex.GetType().Name, LogMask.Mask(ex.Message));
            context.Durable = false;
            context.Override(ResponseCode.SystemMalfunction, Name);
            context.Reanswer = true;
        }
    }

    /// <summary>Fills <see cref="TransactionContext.Events"/>: request in, the decision's events, response out.</summary>
    internal void BuildEvents(TransactionContext context)
    {
        var events = context.Events;
        events.Clear();
        DateTime now = clock.UtcNow;
        var leg = Leg.Of(context);
        events.Add(leg.Event(LegKind.RequestIn, context.Request.Mti!, now, 0, "", "", ""));
        if (context.OnUsDecision is { } onUs) AddAll(events, onUs.Effects);
        if (context.IssuerDecision is { } remote) AddAll(events, remote.Events);
        string answerMti = context.Response?.Mti ?? Mti.ResponseOf(context.Request.Mti) ?? "";
        long latencyUs = ClockExtensions.MicrosecondsBetween(context.StartedTicks, clock.MonotonicTicks);
        string code = context.ResponseCode ?? ResponseCode.SystemMalfunction;
        string approval = code == ResponseCode.Approved ? context.ApprovalCode ?? "" : "";
        // A request past the in-flight limit was never remembered by duplicate detection: its record says why instead
        // of carrying DE7 (so a rebuild does not remember it either).
        string detail = context.Full ? NotRemembered("in-flight") : ResponseDetail.Format(leg.TransmissionDateTime, context.AdditionalAmounts);
        events.Add(leg.Event(LegKind.ResponseOut, answerMti, now, latencyUs, code, approval, detail));
        if (events.Count > EventsMax) throw new InvalidOperationException($"{events.Count} events in one transaction; the journal takes at most {EventsMax}");
    }

    /// <summary>
    /// Journals an answer given outside the participants' run — the 96 of a failed step, a 30 the acceptor could not
    /// decode — as RequestIn + ResponseOut with what the request's readable fields say (no decision events; the PAN
    /// only when it was hashed). <paramref name="why"/> goes in the ResponseOut detail ("why=…", which duplicate
    /// detection's rebuild does not remember). False, logged, when the journal refuses: nothing was decided.
    /// </summary>
    public async ValueTask<bool> AppendAnswerAsync(TransactionContext context, string why, CancellationToken ct)
    {
        try
        {
            DateTime now = clock.UtcNow;
            var leg = Leg.Of(context);
            string answerMti = context.Response?.Mti ?? Mti.ResponseOf(context.Request.Mti) ?? "";
            long latencyUs = ClockExtensions.MicrosecondsBetween(context.StartedTicks, clock.MonotonicTicks);
            JournalEvent[] events =
            [
                leg.Event(LegKind.RequestIn, context.Request.Mti ?? "", now, 0, "", "", ""),
                leg.Event(LegKind.ResponseOut, answerMti, now, latencyUs, context.ResponseCode ?? ResponseCode.SystemMalfunction, "", NotRemembered(why)),
            ];
            await journal.AppendAsync(events, ct).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            _log.Error("Journal append of the {Code} answer ({Why}) of {Transaction} failed: {Error}: {Message}", context.ResponseCode, why,
                context.Transaction?.ToString() ?? context.TransactionId, ex.GetType().Name, LogMask.Mask(ex.Message));
            return false;
        }
    }

    /// <summary>A ResponseOut detail duplicate detection's rebuild skips (it reads only "de7=…").</summary>
    internal static string NotRemembered(string why) => "why=" + why;

    private static void AddAll(List<JournalEvent> events, IReadOnlyList<JournalEvent> more)
    {
        for (int i = 0; i < more.Count; i++) events.Add(more[i]);
    }

    /// <inheritdoc/>
    public void Commit(TransactionContext context) { }

    /// <inheritdoc/>
    public void Abort(TransactionContext context) { }

    /// <summary>The fields every leg of the transaction shares, from the canonical transaction or, for a malformed request, the message.</summary>
    private readonly struct Leg
    {
        private readonly TransactionContext _context;
        private readonly string _processingCode, _panMasked, _stan, _rrn, _terminal, _merchant, _acquirer, _route, _destination;
        private readonly long _amount;
        private readonly ushort _currency;

        private Leg(TransactionContext context, CardTransaction? txn, IsoMessage m)
        {
            _context = context;
            _processingCode = txn?.ProcessingCode ?? Text(m, 3, 6);
            _panMasked = context.PanHash is null ? "" : txn?.PanMasked ?? Switch.Common.Masking.PanMask.Mask(m.GetString(2));
            _stan = txn?.Stan ?? Text(m, 11, 6);
            _rrn = txn?.Rrn ?? Text(m, 37, 12);
            _terminal = txn?.TerminalId ?? Text(m, 41, 8).TrimEnd();
            _merchant = txn?.MerchantId ?? Text(m, 42, 15).TrimEnd();
            _acquirer = txn?.AcquirerId ?? Text(m, 32, 11);
            _amount = txn?.AmountMinor ?? (m.TryGetInt64(4, out long a) ? a : 0);
            _currency = txn?.CurrencyNumeric ?? 0;
            TransmissionDateTime = txn?.TransmissionDateTime ?? Text(m, 7, 10);
            _route = context.Route?.Name ?? "";
            _destination = context.IssuerDecision?.Destination ?? context.Route?.Destination ?? "";
        }

        public string TransmissionDateTime { get; }

        public static Leg Of(TransactionContext context) => new(context, context.Transaction, context.Request);

        public JournalEvent Event(LegKind kind, string mti, DateTime now, long latencyUs, string responseCode, string approvalCode, string detail) => new()
        {
            Kind = kind,
            TransactionId = _context.TransactionId,
            TimeUtc = now,
            LatencyUs = latencyUs,
            Mti = mti,
            ProcessingCode = _processingCode,
            PanMasked = _panMasked,
            PanHash = _context.PanHash,
            PanEncrypted = _context.PanEncrypted,
            AmountMinor = _amount,
            CurrencyNumeric = _currency,
            Stan = _stan,
            Rrn = _rrn,
            TerminalId = _terminal,
            MerchantId = _merchant,
            AcquirerId = _acquirer,
            Route = _route,
            Destination = _destination,
            ResponseCode = responseCode,
            ApprovalCode = approvalCode,
            Detail = detail,
        };

        /// <summary>A field's text when it is present and no longer than the event allows (a malformed request's field may be neither).</summary>
        private static string Text(IsoMessage m, int field, int lengthMax) => m.GetString(field) is { } s && s.Length <= lengthMax ? s : "";
    }
}

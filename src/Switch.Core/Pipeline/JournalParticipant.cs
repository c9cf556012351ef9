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
        events.Add(leg.Event(LegKind.ResponseOut, answerMti, now, latencyUs, code, approval, ResponseDetail.Format(leg.TransmissionDateTime, context.AdditionalAmounts)));
        if (events.Count > EventsMax) throw new InvalidOperationException($"{events.Count} events in one transaction; the journal takes at most {EventsMax}");
    }

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

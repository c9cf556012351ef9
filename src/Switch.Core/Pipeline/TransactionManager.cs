using System.Runtime.CompilerServices;
using Serilog;
using Switch.Core.Hosting;
using Switch.Core.MasterData.Postgres;
using Switch.Core.Metrics;
using Switch.Core.Time;
using Switch.Iso8583.Message;
using Switch.Iso8583.Vocabulary;
using Switch.Network.Acceptor;
using Switch.Network.Management;

namespace Switch.Core.Pipeline;

/// <summary>
/// The transaction manager (in the spirit of jPOS's): every card request runs the participants in order over one
/// <see cref="TransactionContext"/> — the deciding ones until DE39 is decided, then the ones that always run (answer,
/// MAC, journal) — and then commits or aborts every participant that prepared, as the journal append decided. Bounded
/// concurrency (past <see cref="CoreOptions.InFlightMax"/> a request is answered 96 at once), a deadline per
/// transaction on the monotonic clock, and an exception in a participant answers that transaction 96 and is logged
/// (masked), never the process. Network management (08xx) goes to <see cref="NetworkManagementHandler"/> as before.
/// </summary>
public sealed class TransactionManager : IMessageHandler, IFormatErrorHandler
{
    private readonly IParticipant[] _participants;
    private readonly ResponseParticipant _respond;
    private readonly MacSignParticipant _sign;
    private readonly NetworkManagementHandler _management;
    private readonly JournalParticipant? _journal;
    private readonly MasterDataHolder _masterData;
    private readonly TransactionIds _ids;
    private readonly IClock _clock;
    private readonly ICoreMetrics _metrics;
    private readonly ILogger _log;
    private readonly int _inFlightMax;
    private readonly TimeSpan _timeout;
    private int _inFlight;
    private TaskCompletionSource? _drained;

    /// <summary>
    /// A manager over <paramref name="participants"/> (in order; the response and MAC participants are also used to
    /// answer again when the journal refuses the append).
    /// </summary>
    public TransactionManager(IReadOnlyList<IParticipant> participants, ResponseParticipant respond, MacSignParticipant sign, MasterDataHolder masterData,
        TransactionIds ids, CoreOptions options, IClock clock, ICoreMetrics metrics, ILogger log)
    {
        _participants = [.. participants];
        _respond = respond;
        _sign = sign;
        _masterData = masterData;
        _ids = ids;
        _clock = clock;
        _metrics = metrics;
        _log = log.ForContext<TransactionManager>();
        _inFlightMax = options.InFlightMax;
        _timeout = TimeSpan.FromMilliseconds(options.TransactionTimeoutMs);
        _management = new NetworkManagementHandler(new CardRequests(this));
        _journal = _participants.OfType<JournalParticipant>().FirstOrDefault();
    }

    /// <summary>Journals and signs the acceptor's 30 answers (null: the acceptor's answer goes out as it is).</summary>
    public FormatErrorAnswers? FormatErrors { get; init; }

    /// <inheritdoc/>
    public ValueTask<IsoMessage> AnswerFormatErrorAsync(FormatError error, SessionContext session, CancellationToken ct) =>
        FormatErrors?.AnswerAsync(error, session, ct) ?? ValueTask.FromResult(error.Answer);

    /// <summary>Transactions in the pipeline now.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <inheritdoc/>
    public ValueTask<IsoMessage?> HandleAsync(IsoMessage request, SessionContext session, CancellationToken ct) =>
        _management.HandleAsync(request, session, ct);

    /// <summary>Waits until no transaction is in flight (graceful shutdown, after the listeners stopped reading), at most <paramref name="timeout"/>.</summary>
    public async Task<bool> DrainAsync(TimeSpan timeout, CancellationToken ct)
    {
        var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _drained, drained);
        if (InFlight == 0) return true;
        try
        {
            await drained.Task.WaitAsync(timeout, ct).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            _log.Warning("Shutdown: {InFlight} transactions still in flight after {TimeoutMs} ms", InFlight, (int)timeout.TotalMilliseconds);
            return false;
        }
    }

    /// <summary>The card request path (everything that is not network management).</summary>
    private sealed class CardRequests(TransactionManager manager) : IMessageHandler
    {
        public ValueTask<IsoMessage?> HandleAsync(IsoMessage request, SessionContext session, CancellationToken ct) => manager.HandleCardAsync(request, session, ct);
    }

    private ValueTask<IsoMessage?> HandleCardAsync(IsoMessage request, SessionContext session, CancellationToken ct)
    {
        string? mti = request.Mti;
        if (Mti.ResponseOf(mti) is null)
        {
            // A 1987 notification expects no answer and there is nothing to authorize: it is logged and dropped.
            _log.Warning("Dropped {Mti} on session {SessionId}: the message expects no answer", mti, session.SessionId);
            return ValueTask.FromResult<IsoMessage?>(null);
        }
        long started = _clock.MonotonicTicks;
        // Past the limit the request is still a transaction — its checks, a 96, its MAC when it verified, its journal
        // record — but nothing is authorized. Such requests stay bounded by every listener's per-connection in-flight
        // limit and connection limit.
        bool full = Interlocked.Increment(ref _inFlight) > _inFlightMax;
        if (full) _log.Warning("In-flight limit of {InFlightMax} reached: {Mti} STAN {Stan} answered 96", _inFlightMax, mti, request.GetString(11));
        _metrics.InFlight(1);
        var context = new TransactionContext(_ids.Next(), request, session, started, started + TicksOf(_timeout), _masterData.Current) { Full = full };
        return RunAsync(context, ct);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<IsoMessage?> RunAsync(TransactionContext context, CancellationToken ct)
    {
        int prepared = 0;
        try
        {
            for (; prepared < _participants.Length; prepared++)
            {
                var participant = _participants[prepared];
                if (!participant.Always && context.Decided) continue;
                if (context.Full && !participant.Always && !participant.RunsWhenFull)
                {
                    context.Decide(ResponseCode.SystemMalfunction, "in-flight");
                    continue;
                }
                if (!participant.Always && _clock.HasPassed(context.DeadlineTicks))
                {
                    context.Decide(ResponseCode.SystemMalfunction, "deadline");
                    continue;
                }
                await PrepareAsync(participant, context, ct).ConfigureAwait(false);
            }
            Finish(context, prepared);
            return context.Response;
        }
        catch (Exception ex)
        {
            // A participant that always runs failed (answer, MAC, journal): nothing of the decision is durable,
            // everything prepared aborts; the 96 is then signed (when the request's MAC verified) and journaled alone.
            var failed = _participants[Math.Min(prepared, _participants.Length - 1)];
            LogFailure(ex, context, failed.Name);
            context.Durable = false;
            Finish(context, prepared);
            return await AnswerFailureAsync(context, failed, ct).ConfigureAwait(false);
        }
        finally
        {
            _metrics.TransactionCompleted(context.Request.Mti!, context.ResponseCode ?? "", _clock.ElapsedSince(context.StartedTicks).TotalSeconds);
            _metrics.InFlight(-1);
            Leave();
        }
    }

    private async ValueTask PrepareAsync(IParticipant participant, TransactionContext context, CancellationToken ct)
    {
        if (participant.Always)
        {
            await participant.PrepareAsync(context, ct).ConfigureAwait(false);
            if (context.Reanswer) await AnswerAgainAsync(context, ct).ConfigureAwait(false);
            return;
        }
        try
        {
            await participant.PrepareAsync(context, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // A deciding participant failed: this transaction is answered 96 (and journaled as such), never the process.
            LogFailure(ex, context, participant.Name);
            context.Decide(ResponseCode.SystemMalfunction, participant.Name);
        }
    }

    /// <summary>The journal refused the append: the answer becomes 96 (no DE38, no DE54), signed again when the terminal uses a MAC.</summary>
    private async ValueTask AnswerAgainAsync(TransactionContext context, CancellationToken ct)
    {
        context.Reanswer = false;
        await _respond.PrepareAsync(context, ct).ConfigureAwait(false);
        try
        {
            await _sign.PrepareAsync(context, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFailure(ex, context, _sign.Name);
            context.Response = MessageTypes.Respond(context.Request, ResponseCode.SystemMalfunction);
        }
    }

    /// <summary>
    /// The 96 of a transaction whose answer, MAC or journal step threw: the answer's echo fields, signed with the TAK the
    /// request's MAC verified under (unless signing is what failed), and a RequestIn + ResponseOut pair journaled
    /// without the aborted decision's events. Neither may fail the answer: it is the terminal's only news.
    /// </summary>
    private async ValueTask<IsoMessage> AnswerFailureAsync(TransactionContext context, IParticipant failed, CancellationToken ct)
    {
        context.Override(ResponseCode.SystemMalfunction, failed.Name);
        try
        {
            context.Response = ResponseParticipant.Build(context.Request, ResponseCode.SystemMalfunction, null, null);
            if (context.MacKey is not null && failed != _sign) await _sign.PrepareAsync(context, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogFailure(ex, context, "answer of the failure");
            context.Response = MessageTypes.Respond(context.Request, ResponseCode.SystemMalfunction);
        }
        if (_journal is not null) await _journal.AppendAnswerAsync(context, "failed", ct).ConfigureAwait(false);
        return context.Response;
    }

    private void Finish(TransactionContext context, int prepared)
    {
        for (int i = 0; i < prepared && i < _participants.Length; i++)
        {
            var participant = _participants[i];
            try
            {
                if (context.Durable) participant.Commit(context);
                else participant.Abort(context);
            }
            catch (Exception ex)
            {
                // Commit and abort only change memory; a failure here is a bug, logged, and the others still run.
                LogFailure(ex, context, participant.Name + (context.Durable ? " commit" : " abort"));
            }
        }
    }

    private void LogFailure(Exception ex, TransactionContext context, string participant) =>
        _log.Error("Participant {Participant} failed on {Transaction}: {Error}: {Message}", participant, Describe(context),
            ex.GetType().Name, LogMask.Mask(ex.Message));

    private static string Describe(TransactionContext context) =>
        context.Transaction?.ToString() ?? $"{context.Request.Mti} txn {context.TransactionId} session {context.Session.SessionId}";

    private void Leave()
    {
        if (Interlocked.Decrement(ref _inFlight) == 0) Volatile.Read(ref _drained)?.TrySetResult();
    }

    private static long TicksOf(TimeSpan span) => (long)(span.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
}

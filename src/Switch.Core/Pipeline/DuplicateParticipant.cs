using Serilog;
using Switch.Core.Metrics;
using Switch.Core.Time;
using Switch.Iso8583.Message;
using Switch.Iso8583.Vocabulary;

namespace Switch.Core.Pipeline;

/// <summary>
/// Duplicate detection: a request with the key of one answered within the window (the answer's MTI, DE7, DE11, DE41
/// and DE32 when present) gets the original answer again — byte for byte, with a freshly computed MAC — and is never
/// authorized twice; one whose original is still in flight waits for that answer. A repeated reversal is answered as
/// the first was and credits once (the authorizer sees it once). After a restart the answers rebuilt from the journal
/// keep DE39, DE38 and DE54; the other fields are echoed from the repeat (a true repeat carries the same ones).
/// </summary>
public sealed class DuplicateParticipant(DuplicateMemory memory, IClock clock, ICoreMetrics metrics, ILogger log) : IParticipant
{
    private readonly ILogger _log = log.ForContext<DuplicateParticipant>();

    /// <inheritdoc/>
    public string Name => "duplicate";

    /// <inheritdoc/>
    public bool Always => false;

    /// <inheritdoc/>
    public async ValueTask PrepareAsync(TransactionContext context, CancellationToken ct)
    {
        var txn = context.Transaction;
        if (txn is null) return;
        string key = DuplicateMemory.KeyOf(Mti.ResponseOf(txn.Mti)!, txn.TransmissionDateTime, txn.Stan, txn.TerminalId, txn.AcquirerId);
        if (memory.TryClaim(key, txn.TerminalId, out var entry))
        {
            context.DuplicateClaim = entry;
            return;
        }
        byte[]? answer = entry.Rebuilt is { } rebuilt ? Rebuild(context, rebuilt) : await WaitForOriginalAsync(context, entry, ct).ConfigureAwait(false);
        if (answer is null)
        {
            // The original failed without an answer, or is still in flight at this transaction's deadline: never authorize twice.
            context.Decide(ResponseCode.SystemMalfunction, Name);
            _log.Warning("Duplicate {Transaction} of a request without an answer: answered 96", txn);
            return;
        }
        var response = context.Request.Spec.Decode(answer.AsMemory(), DecodeMode.Strict);
        context.DuplicateOf = answer;
        context.Response = response;
        context.Decide(response.GetString(39) ?? ResponseCode.SystemMalfunction, Name);
        metrics.DuplicateAnswered();
        _log.Information("Duplicate {Transaction}: the original answer {ResponseCode} sent again", txn, context.ResponseCode);
    }

    private async ValueTask<byte[]?> WaitForOriginalAsync(TransactionContext context, DuplicateEntry entry, CancellationToken ct)
    {
        var wait = entry.WaitAsync();
        if (wait.IsCompleted) return await wait.ConfigureAwait(false);
        TimeSpan remaining = TimeSpan.FromSeconds(Math.Max(0, context.DeadlineTicks - clock.MonotonicTicks) / (double)System.Diagnostics.Stopwatch.Frequency);
        try
        {
            return await wait.WaitAsync(remaining, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    /// <summary>An answer remembered across a restart: the repeat's echo fields with the original decision.</summary>
    private static byte[] Rebuild(TransactionContext context, RebuiltAnswer rebuilt)
    {
        var response = ResponseParticipant.Build(context.Request, rebuilt.ResponseCode, rebuilt.ApprovalCode, rebuilt.AdditionalAmounts);
        return response.Spec.Encode(response);
    }

    /// <inheritdoc/>
    public void Commit(TransactionContext context) => context.DuplicateClaim?.Complete(context.ResponseBytes);

    /// <inheritdoc/>
    public void Abort(TransactionContext context)
    {
        if (context.DuplicateClaim is not { } claim) return;
        // Requests waiting on this one get its (96) answer; a later repeat is processed afresh, as nothing was durable.
        claim.Complete(context.ResponseBytes);
        memory.Forget(claim);
    }
}

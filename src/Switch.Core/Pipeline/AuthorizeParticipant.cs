using Serilog;
using Switch.Core.Authorization;
using Switch.Core.Issuers;
using Switch.Core.Time;
using Switch.Iso8583.Vocabulary;
using Switch.Routing;

namespace Switch.Core.Pipeline;

/// <summary>
/// Asks the destination of the route: <c>on-us</c> → the on-us authorizer; a connector name or <c>stand-in</c> → the
/// issuer gateway (which handles failover and stand-in itself). The decision's DE39, DE38 and DE54 go to the answer;
/// it is committed when the journal append succeeded and aborted otherwise. A decision later than the transaction's
/// deadline answers 96 (on-us) or 91 (remote) and is aborted when it arrives.
/// </summary>
public sealed class AuthorizeParticipant(IOnUsAuthorizer onUs, IIssuerGateway issuers, IClock clock, ILogger log) : IParticipant
{
    private readonly ILogger _log = log.ForContext<AuthorizeParticipant>();

    /// <inheritdoc/>
    public string Name => "authorize";

    /// <inheritdoc/>
    public bool Always => false;

    /// <inheritdoc/>
    public ValueTask PrepareAsync(TransactionContext context, CancellationToken ct)
    {
        var route = context.Route;
        if (route is null || context.Transaction is null || context.Terminal is null) return ValueTask.CompletedTask;
        return route.Destination == KnownDestinations.OnUs ? OnUsAsync(context, ct) : RemoteAsync(context, route, ct);
    }

    private async ValueTask OnUsAsync(TransactionContext context, CancellationToken ct)
    {
        var request = new OnUsRequest
        {
            Transaction = context.Transaction!,
            Terminal = context.Terminal!,
            MasterData = context.MasterData,
            PanHashHex = context.PanHashHex!,
        };
        var pending = onUs.AuthorizeAsync(request, ct);
        OnUsDecision? decision = pending.IsCompletedSuccessfully ? pending.Result : await WithinDeadlineAsync(context, pending.AsTask(), onUs.Abort, ct).ConfigureAwait(false);
        if (decision is null)
        {
            context.Decide(ResponseCode.SystemMalfunction, Name);
            return;
        }
        context.OnUsDecision = decision;
        Adopt(context, decision.ResponseCode, decision.ApprovalCode, decision.AdditionalAmounts);
    }

    private async ValueTask RemoteAsync(TransactionContext context, Route route, CancellationToken ct)
    {
        var request = new IssuerRequest
        {
            Transaction = context.Transaction!,
            TerminalRequest = context.Request,
            Terminal = context.Terminal!,
            Route = route,
            MasterData = context.MasterData,
        };
        var pending = issuers.AuthorizeAsync(request, ct);
        IssuerDecision? decision = pending.IsCompletedSuccessfully ? pending.Result : await WithinDeadlineAsync(context, pending.AsTask(), issuers.Abort, ct).ConfigureAwait(false);
        if (decision is null)
        {
            context.Decide(ResponseCode.IssuerOrSwitchInoperative, Name);
            return;
        }
        context.IssuerDecision = decision;
        string? de54 = decision.IssuerResponse?.GetString(54);
        Adopt(context, decision.ResponseCode, decision.ApprovalCode, de54);
    }

    private static void Adopt(TransactionContext context, string responseCode, string? approvalCode, string? additionalAmounts)
    {
        context.ApprovalCode = approvalCode;
        context.AdditionalAmounts = additionalAmounts;
        context.Decide(responseCode, "authorize");
    }

    /// <summary>The decision, or null past the deadline (a late decision is aborted when it arrives: its effects never stand).</summary>
    private async ValueTask<T?> WithinDeadlineAsync<T>(TransactionContext context, Task<T> pending, Action<T> abort, CancellationToken ct) where T : class
    {
        long remainingTicks = context.DeadlineTicks - clock.MonotonicTicks;
        var remaining = TimeSpan.FromSeconds(Math.Max(0, remainingTicks) / (double)System.Diagnostics.Stopwatch.Frequency);
        try
        {
            return await pending.WaitAsync(remaining, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _log.Warning("No decision for {Transaction} by its deadline", context.Transaction);
            _ = pending.ContinueWith(t => abort(t.Result), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            return null;
        }
    }

    /// <inheritdoc/>
    public void Commit(TransactionContext context)
    {
        if (context.OnUsDecision is { } onUsDecision) onUs.Commit(onUsDecision);
        if (context.IssuerDecision is { } issuerDecision) issuers.Commit(issuerDecision);
    }

    /// <inheritdoc/>
    public void Abort(TransactionContext context)
    {
        if (context.OnUsDecision is { } onUsDecision) onUs.Abort(onUsDecision);
        if (context.IssuerDecision is { } issuerDecision) issuers.Abort(issuerDecision);
    }
}

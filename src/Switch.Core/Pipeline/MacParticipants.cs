using Serilog;
using Switch.Core.Keys;
using Switch.Core.MasterData;
using Switch.Iso8583.Message;
using Switch.Iso8583.Vocabulary;
using Switch.Security;

namespace Switch.Core.Pipeline;

/// <summary>
/// Verifies the request's MAC when the terminal uses one (its profile requires it, or it sent DE64/DE128): a missing or
/// wrong MAC is 63 (security violation), and that answer carries no MAC. The TAK comes from the key ring by the name in
/// the terminal's profile. A security module failure throws (the manager answers 96: fail closed).
/// </summary>
public sealed class MacVerifyParticipant(ISecurityModule module, IKeyRing keys, ILogger log) : IParticipant
{
    private readonly ILogger _log = log.ForContext<MacVerifyParticipant>();

    /// <inheritdoc/>
    public string Name => "mac-verify";

    /// <inheritdoc/>
    public bool Always => false;

    /// <inheritdoc/>
    public bool RunsWhenFull => true;

    /// <summary>True when the terminal uses a MAC on this request.</summary>
    internal static bool UsesMac(TerminalProfile? terminal, IsoMessage request) =>
        terminal is not null && (terminal.MacRequired || request.Has(64) || request.Has(128));

    /// <inheritdoc/>
    public async ValueTask PrepareAsync(TransactionContext context, CancellationToken ct)
    {
        if (!UsesMac(context.Terminal, context.Request)) return;
        if (context.Terminal!.TakRef is not { } takRef)
        {
            Violation(context, "the terminal sent a MAC but its profile names no TAK");
            return;
        }
        int field = MessageMac.FieldOf(context.Request);
        if (!context.Request.Has(field))
        {
            Violation(context, $"DE{field} (MAC) is missing");
            return;
        }
        var key = await keys.GetAsync(takRef, ct).ConfigureAwait(false);
        if (!await MessageMac.VerifyAsync(module, key, context.Request, ct).ConfigureAwait(false))
        {
            Violation(context, $"DE{field} (MAC) is wrong");
            return;
        }
        context.MacKey = key;
    }

    private void Violation(TransactionContext context, string problem)
    {
        context.Decide(ResponseCode.SecurityViolation, Name);
        _log.Warning("MAC check failed for {Transaction}: {Problem}; answered 63", context.Transaction, problem);
    }

    /// <inheritdoc/>
    public void Commit(TransactionContext context) { }

    /// <inheritdoc/>
    public void Abort(TransactionContext context) { }
}

/// <summary>
/// Signs the answer when the terminal uses a MAC (never a 63) and encodes it: <see cref="TransactionContext.ResponseBytes"/>
/// are the bytes sent, and what duplicate detection replays.
/// </summary>
public sealed class MacSignParticipant(ISecurityModule module, IKeyRing keys) : IParticipant
{
    /// <inheritdoc/>
    public string Name => "mac-sign";

    /// <inheritdoc/>
    public bool Always => true;

    /// <inheritdoc/>
    public async ValueTask PrepareAsync(TransactionContext context, CancellationToken ct)
    {
        IsoMessage response = context.Response ?? throw new InvalidOperationException("no answer to sign");
        if (context.DuplicateOf is { } original)
        {
            // A duplicate: the original bytes again, with a freshly computed MAC when the original carried one.
            bool signed = response.Has(MessageMac.FieldOf(response)) && context.Terminal?.TakRef is not null;
            context.MacInUse = signed;
            context.ResponseBytes = signed ? await SignAsync(context, response, ct).ConfigureAwait(false) : original;
            return;
        }
        bool sign = context.ResponseCode != ResponseCode.SecurityViolation && context.Terminal?.TakRef is not null
            && MacVerifyParticipant.UsesMac(context.Terminal, context.Request);
        context.MacInUse = sign;
        context.ResponseBytes = sign ? await SignAsync(context, response, ct).ConfigureAwait(false) : response.Spec.Encode(response);
    }

    private async ValueTask<byte[]> SignAsync(TransactionContext context, IsoMessage response, CancellationToken ct)
    {
        var key = context.MacKey ?? await keys.GetAsync(context.Terminal!.TakRef!, ct).ConfigureAwait(false);
        return await MessageMac.SignAsync(module, key, response, ct).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public void Commit(TransactionContext context) { }

    /// <inheritdoc/>
    public void Abort(TransactionContext context) { }
}

using Switch.Core.MasterData;
using Switch.Core.Transactions;
using Switch.Journal.Events;

namespace Switch.Core.Authorization;

/// <summary>What the pipeline hands the on-us authorizer: the transaction, its terminal and the snapshot it started with.</summary>
public sealed class OnUsRequest
{
    /// <summary>The canonical transaction (clear PAN and PIN block in memory).</summary>
    public required CardTransaction Transaction { get; init; }

    /// <summary>The terminal's profile (its TPK for the PIN block, or BDK for DUKPT).</summary>
    public required TerminalProfile Terminal { get; init; }

    /// <summary>The master data snapshot of this transaction.</summary>
    public required MasterDataSnapshot MasterData { get; init; }

    /// <summary>The PAN's keyed hash, lowercase hex (the card's key in <see cref="MasterDataSnapshot.Card"/>).</summary>
    public required string PanHashHex { get; init; }
}

/// <summary>
/// The on-us authorizer's answer. Its in-memory effects (hold, debit, PIN-try count, release, credit) are applied
/// tentatively when it is returned; the pipeline journals <see cref="Effects"/> with the transaction's legs and then
/// calls <see cref="IOnUsAuthorizer.Commit"/> (durable) or <see cref="IOnUsAuthorizer.Abort"/> (the append failed: undo).
/// </summary>
public sealed class OnUsDecision
{
    /// <summary>DE39.</summary>
    public required string ResponseCode { get; init; }

    /// <summary>DE38 on approval.</summary>
    public string? ApprovalCode { get; init; }

    /// <summary>DE54 additional amounts (balance inquiry, and available balance where the authorizer gives it).</summary>
    public string? AdditionalAmounts { get; init; }

    /// <summary>Balance-effect events (kind, account, amount, currency, detail), journaled in the transaction's one append.</summary>
    public IReadOnlyList<JournalEvent> Effects { get; init; } = [];

    /// <summary>The authorizer's own undo information (opaque to the pipeline).</summary>
    public object? State { get; init; }
}

/// <summary>
/// The on-us authorizer: card checks, PIN verify (Visa PVV through <see cref="Switch.Security.ISecurityModule"/>),
/// PIN tries, limits and balances held in memory, each account owned by one partition's writer. Its state changes only
/// by journaled events and is rebuilt from them at start (<see cref="Apply"/>).
/// </summary>
public interface IOnUsAuthorizer
{
    /// <summary>Decides; effects are applied tentatively (see <see cref="OnUsDecision"/>).</summary>
    ValueTask<OnUsDecision> AuthorizeAsync(OnUsRequest request, CancellationToken ct);

    /// <summary>The decision's events are durable: its effects stand.</summary>
    void Commit(OnUsDecision decision);

    /// <summary>The decision's events could not be journaled: its effects are undone.</summary>
    void Abort(OnUsDecision decision);

    /// <summary>Replays one durable journal record into the state (start-up rebuild, in journal order).</summary>
    void Apply(JournalRecord record);
}

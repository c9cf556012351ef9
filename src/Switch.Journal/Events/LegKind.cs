namespace Switch.Journal.Events;

/// <summary>What one journal event records: a leg of a transaction or a state change. The numbers are on disk and in Kafka; never renumber.</summary>
public enum LegKind : byte
{
    /// <summary>A request arrived from the acquirer side (terminal, acquirer host).</summary>
    RequestIn = 1,
    /// <summary>The request was sent to the issuer side (connector or on-us authorizer).</summary>
    RequestOut = 2,
    /// <summary>The issuer's response arrived.</summary>
    ResponseIn = 3,
    /// <summary>The response was sent back to the acquirer side.</summary>
    ResponseOut = 4,
    /// <summary>A reversal was queued in store-and-forward.</summary>
    ReversalQueued = 10,
    /// <summary>A queued reversal was sent (first try or a repeat).</summary>
    ReversalSent = 11,
    /// <summary>A reversal was answered; it leaves the queue.</summary>
    ReversalAnswered = 12,
    /// <summary>An advice was queued in store-and-forward.</summary>
    AdviceQueued = 13,
    /// <summary>A queued advice was sent.</summary>
    AdviceSent = 14,
    /// <summary>An advice was answered; it leaves the queue.</summary>
    AdviceAnswered = 15,
    /// <summary>The switch decided in place of the issuer (stand-in processing).</summary>
    StandInDecision = 20,
    /// <summary>Balance effect: funds held on an account.</summary>
    BalanceHold = 30,
    /// <summary>Balance effect: an account debited.</summary>
    BalanceDebit = 31,
    /// <summary>Balance effect: a hold released.</summary>
    BalanceRelease = 32,
    /// <summary>Balance effect: an account credited.</summary>
    BalanceCredit = 33,
    /// <summary>The route of a transaction changed (failover, stand-in, operator).</summary>
    RouteChange = 40,
    /// <summary>A frame or message was rejected before processing (format error).</summary>
    Rejected = 50,
    /// <summary>
    /// An operator reset (<c>db seed demo --reset</c>): the account named in <see cref="JournalEvent.AccountId"/> goes back
    /// to its master data state (balance, holds, daily totals, PIN tries), or, with <see cref="JournalEvent.TerminalId"/>
    /// and no account, the terminal's duplicate-detection memory is forgotten. State folds restart from it.
    /// </summary>
    StateReset = 60,
}

/// <summary>Helpers over <see cref="LegKind"/>.</summary>
public static class LegKinds
{
    /// <summary>Whether <paramref name="value"/> is a defined leg kind (the decoder refuses others).</summary>
    public static bool IsDefined(byte value) => value switch
    {
        1 or 2 or 3 or 4 or 10 or 11 or 12 or 13 or 14 or 15 or 20 or 30 or 31 or 32 or 33 or 40 or 50 or 60 => true,
        _ => false,
    };
}

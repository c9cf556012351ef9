using System.Globalization;
using Switch.Core.MasterData;
using Switch.Core.Transactions;
using Switch.Journal.Events;

namespace Switch.Core.Authorization;

/// <summary>The PIN check's outcome, decided before the partition (the HSM call needs no state).</summary>
internal enum PinCheck
{
    /// <summary>The request carries no PIN.</summary>
    Absent,
    /// <summary>The PIN verified.</summary>
    Right,
    /// <summary>The PIN did not verify.</summary>
    Wrong,
}

/// <summary>What the partition's decision needs: the checks done before it, and the card and account.</summary>
internal sealed record DecisionInput(
    CardTransaction Transaction,
    CardRecord Card,
    AccountRecord Account,
    string PanHashHex,
    PinCheck Pin,
    DateTime NowUtc,
    string ApprovalCode);

/// <summary>
/// The stateful part of an on-us decision, run by the account's partition worker: PIN tries, limits, funds, holds,
/// completions and reversals. It returns the effects as journal events and folds them into the state (tentatively:
/// an abort folds them back).
/// </summary>
internal static class OnUsRules
{
    /// <summary>Wrong PINs in a row that lock the PIN (the third answers 75).</summary>
    public const int PinTriesMax = 3;

    /// <summary>Decides and applies the effects tentatively.</summary>
    public static OnUsDecision Decide(OnUsState state, DecisionInput input)
    {
        var effects = new List<(JournalEvent Event, EffectDetail Detail)>(2);
        var (code, approved) = DecideCore(state, input, effects);
        foreach (var (e, d) in effects) state.Fold(e, d, +1);
        var account = state.Account(input.Account.AccountId);
        bool showBalance = code is "00" or "51";
        return new OnUsDecision
        {
            ResponseCode = code,
            ApprovalCode = approved ? input.ApprovalCode : null,
            AdditionalAmounts = showBalance ? AdditionalAmounts(input.Account, Available(input.Account, account)) : null,
            Effects = effects.Count == 0 ? [] : [.. effects.Select(x => x.Event)],
            State = effects.Count == 0 ? null : new OnUsAuthorizer.Tentative(input.Account.AccountId, effects),
        };
    }

    /// <summary>
    /// Releases, tentatively, up to <paramref name="max"/> holds of the partition placed <paramref name="lifetime"/> or
    /// more before <paramref name="nowUtc"/>: one BalanceRelease each (x=1, o= the hold's transaction, hs= its
    /// placement, the hold's day total given back), under the hold's transaction id. The caller journals each and
    /// closes it, or undoes it when the append fails. A replay folds the journaled release and never decides one.
    /// </summary>
    public static List<OnUsAuthorizer.Tentative> ExpireHolds(OnUsState state, DateTime nowUtc, TimeSpan lifetime, int max)
    {
        var released = new List<OnUsAuthorizer.Tentative>();
        var due = state.OpenHolds.Where(h => h.Value.SinceUtc + lifetime <= nowUtc).Take(max).ToList();
        foreach (var (txn, hold) in due)
        {
            long amount = state.Account(hold.AccountId).Holds.GetValueOrDefault(txn);
            if (amount <= 0) continue;
            var detail = EffectDetail.None with { Day = DayOf(hold.SinceUtc), DailyDelta = -amount, Original = txn, Expiry = true, HoldSince = hold.SinceUtc };
            var e = new JournalEvent
            {
                Kind = LegKind.BalanceRelease,
                TransactionId = txn,
                TimeUtc = nowUtc,
                AmountMinor = amount,
                CurrencyNumeric = hold.Currency,
                Destination = "on-us",
                AccountId = hold.AccountId,
                Detail = detail.Format(),
            };
            state.Fold(e, detail, +1);
            released.Add(new OnUsAuthorizer.Tentative(hold.AccountId, [(e, detail)]));
        }
        return released;
    }

    /// <summary>DE54: account type 00, amount type 02 (available), currency, C/D, 12 digits.</summary>
    public static string AdditionalAmounts(AccountRecord account, long available) =>
        string.Create(CultureInfo.InvariantCulture, $"0002{account.CurrencyNumeric:D3}{(available < 0 ? 'D' : 'C')}{Math.Abs(available):D12}");

    /// <summary>Opening balance plus journaled movements minus open holds.</summary>
    public static long Available(AccountRecord record, AccountState state) => record.OpeningBalanceMinor + state.Net - state.Held;

    private static (string Code, bool Approved) DecideCore(OnUsState state, DecisionInput input, List<(JournalEvent, EffectDetail)> effects)
    {
        var txn = input.Transaction;
        var account = state.Account(input.Account.AccountId);
        switch (txn.Kind)
        {
            case TransactionKind.Reversal: return (Reverse(state, input, effects), false);
            case TransactionKind.Advice: return Advise(state, input, effects);
        }
        string? pinCode = CheckPin(account, input, out int triesBefore, out int triesAfter);
        var pin = triesAfter == triesBefore ? EffectDetail.None : EffectDetail.None with { PinBefore = triesBefore, PinAfter = triesAfter };
        if (pinCode is not null)
        {
            if (pin.HasPin) effects.Add(Effect(input, LegKind.BalanceRelease, 0, pin));
            return (pinCode, false);
        }
        if (txn.Kind == TransactionKind.BalanceInquiry)
        {
            if (pin.HasPin) effects.Add(Effect(input, LegKind.BalanceRelease, 0, pin));
            return ("00", true);
        }
        string amountCode = CheckAmount(account, input);
        if (amountCode != "00")
        {
            if (pin.HasPin) effects.Add(Effect(input, LegKind.BalanceRelease, 0, pin));
            return (amountCode, false);
        }
        var kind = txn.Kind == TransactionKind.Authorization ? LegKind.BalanceHold : LegKind.BalanceDebit;
        int day = DayOf(input.NowUtc);
        effects.Add(Effect(input, kind, txn.AmountMinor, pin with { Day = day, DailyDelta = txn.AmountMinor, Key = OwnKey(txn) }, approved: true));
        return ("00", true);
    }

    /// <summary>75 when locked or locked now, 55 when wrong, null when right or absent; the tries before and after.</summary>
    private static string? CheckPin(AccountState account, DecisionInput input, out int before, out int after)
    {
        before = after = account.TriesOf(input.PanHashHex);
        if (input.Pin == PinCheck.Absent) return null;
        if (before >= PinTriesMax) return "75"; // locked: even the right PIN is refused, and nothing changes
        if (input.Pin == PinCheck.Right)
        {
            after = 0;
            return null;
        }
        after = before + 1;
        return after >= PinTriesMax ? "75" : "55";
    }

    private static string CheckAmount(AccountState account, DecisionInput input)
    {
        long amount = input.Transaction.AmountMinor;
        var card = input.Card;
        if (amount <= 0) return "13";
        if (card.PerTransactionLimitMinor > 0 && amount > card.PerTransactionLimitMinor) return "61";
        if (card.DailyLimitMinor > 0 && account.DailyOf(DayOf(input.NowUtc)) + amount > card.DailyLimitMinor) return "61";
        if (amount > Available(input.Account, account)) return "51";
        return "00";
    }

    /// <summary>0120/0220: a 0220 with DE90 completes a hold; an advice without DE90 records what was done offline.</summary>
    private static (string Code, bool Approved) Advise(OnUsState state, DecisionInput input, List<(JournalEvent, EffectDetail)> effects)
    {
        var txn = input.Transaction;
        bool financial = txn.Mti.Length == 4 && txn.Mti[1] == '2';
        if (txn.Original is not null && financial)
        {
            string code = Complete(state, input, effects);
            return (code, code == "00");
        }
        if (txn.AmountMinor <= 0) return ("13", false);
        string key = OwnKey(txn);
        if (state.Find(key, input.NowUtc) is { AccountId: var owner } && owner == input.Account.AccountId) return ("00", true); // a repeat: recorded once
        var kind = financial ? LegKind.BalanceDebit : LegKind.BalanceHold;
        effects.Add(Effect(input, kind, txn.AmountMinor, EffectDetail.None with { Day = DayOf(input.NowUtc), DailyDelta = txn.AmountMinor, Key = key }, approved: true));
        return ("00", true);
    }

    private static string Complete(OnUsState state, DecisionInput input, List<(JournalEvent, EffectDetail)> effects)
    {
        var txn = input.Transaction;
        var entry = FindOriginal(state, input);
        if (entry is null || entry.Kind != LegKind.BalanceHold && !entry.Completed) return "25";
        if (entry.Completed) return "00"; // a repeated completion debits once
        var none = EffectDetail.None with { Original = entry.TransactionId, Completion = true };
        // A hold released by expiry has nothing left to release: the completion is then a late debit (an advice of
        // what the merchant did, never declined for funds), approved like any other completion.
        if (entry.Amount > 0) effects.Add(Effect(input, LegKind.BalanceRelease, entry.Amount, none with { Day = entry.Day, DailyDelta = -entry.Amount, HoldSince = OnUsState.ToSeconds(entry.TimeUtc) }));
        effects.Add(Effect(input, LegKind.BalanceDebit, txn.AmountMinor, none with { Day = DayOf(input.NowUtc), DailyDelta = txn.AmountMinor }, approved: true));
        return "00";
    }

    /// <summary>0400/0420: gives back what the original still holds or debits beyond DE95's actual amount; a repeat gives nothing more.</summary>
    private static string Reverse(OnUsState state, DecisionInput input, List<(JournalEvent, EffectDetail)> effects)
    {
        var txn = input.Transaction;
        var entry = FindOriginal(state, input);
        if (entry is null) return "25";
        long actual = Math.Max(0, txn.ReplacementAmountMinor ?? 0);
        long back = entry.Amount - actual;
        if (back <= 0) return "00";
        var kind = entry.Kind == LegKind.BalanceHold ? LegKind.BalanceRelease : LegKind.BalanceCredit;
        var detail = EffectDetail.None with { Original = entry.TransactionId, Day = entry.Day, DailyDelta = -back };
        if (kind == LegKind.BalanceRelease) detail = detail with { HoldSince = OnUsState.ToSeconds(entry.TimeUtc) };
        effects.Add(Effect(input, kind, back, detail));
        return "00";
    }

    private static ReversalEntry? FindOriginal(OnUsState state, DecisionInput input)
    {
        var original = input.Transaction.Original;
        if (original is null) return null;
        var entry = state.Find(Key(original.Mti, original.Stan, original.TransmissionDateTime, original.AcquirerId, input.Transaction.TerminalId), input.NowUtc);
        // The original must be on the same account (another card's DE90 never moves this one).
        return entry is not null && entry.AccountId == input.Account.AccountId ? entry : null;
    }

    /// <summary>The reversal index key of the transaction itself, as a later DE90 will name it.</summary>
    public static string OwnKey(CardTransaction txn) => Key(txn.Mti, txn.Stan, txn.TransmissionDateTime, txn.AcquirerId, txn.TerminalId);

    /// <summary>MTI without its repeat digit, STAN, DE7, DE32 zero-filled to 11, terminal id.</summary>
    public static string Key(string mti, string stan, string de7, string acquirerId, string terminalId)
    {
        string unrepeated = mti.Length == 4 && mti[3] is '1' or '3' or '5' ? mti[..3] + (char)(mti[3] - 1) : mti;
        return $"{unrepeated}.{stan}.{de7}.{acquirerId.PadLeft(11, '0')}.{terminalId}";
    }

    /// <summary>yyyyMMdd of a UTC time.</summary>
    public static int DayOf(DateTime utc) => (utc.Year * 100 + utc.Month) * 100 + utc.Day;

    /// <summary>One effect event; an approval's carries DE39 00 and its DE38 (the journal's record of what was approved).</summary>
    private static (JournalEvent, EffectDetail) Effect(DecisionInput input, LegKind kind, long amount, EffectDetail detail, bool approved = false)
    {
        var txn = input.Transaction;
        var e = new JournalEvent
        {
            Kind = kind,
            TransactionId = txn.TransactionId,
            TimeUtc = input.NowUtc,
            Mti = txn.Mti,
            ProcessingCode = txn.ProcessingCode,
            PanMasked = txn.PanMasked,
            PanHash = Convert.FromHexString(input.PanHashHex),
            AmountMinor = amount,
            CurrencyNumeric = input.Account.CurrencyNumeric,
            Stan = txn.Stan,
            Rrn = txn.Rrn,
            TerminalId = txn.TerminalId,
            MerchantId = txn.MerchantId,
            AcquirerId = txn.AcquirerId,
            Destination = "on-us",
            AccountId = input.Account.AccountId,
            ResponseCode = approved ? "00" : "",
            ApprovalCode = approved ? input.ApprovalCode : "",
            Detail = detail.Format(),
        };
        return (e, detail);
    }
}

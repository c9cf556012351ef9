using Switch.Journal.Events;

namespace Switch.Core.Authorization;

/// <summary>One account's moving state: what journaled effects changed since its master data opening balance.</summary>
internal sealed class AccountState
{
    /// <summary>Credits minus debits since the opening balance, minor units.</summary>
    public long Net;

    /// <summary>Sum of the open holds.</summary>
    public long Held;

    /// <summary>UTC day (yyyyMMdd) of <see cref="Daily"/>; 0 before the first approval.</summary>
    public int Day;

    /// <summary>Approved debits and holds of <see cref="Day"/>.</summary>
    public long Daily;

    /// <summary>Open holds by the transaction that placed them.</summary>
    public readonly Dictionary<string, long> Holds = new(StringComparer.Ordinal);

    /// <summary>Consecutive wrong PINs by card (PAN hash hex); a card not here has none.</summary>
    public readonly Dictionary<string, int> PinTries = new(StringComparer.Ordinal);

    /// <summary>The daily total of <paramref name="day"/> (0 when the account's total is of another day).</summary>
    public long DailyOf(int day) => Day == day ? Daily : 0;

    /// <summary>The card's wrong PINs in a row.</summary>
    public int TriesOf(string panHashHex) => PinTries.GetValueOrDefault(panHashHex);
}

/// <summary>An open hold as hold expiry sees it: its account and currency, and when it was placed (whole seconds, UTC).</summary>
internal sealed record OpenHold(string AccountId, ushort Currency, DateTime SinceUtc);

/// <summary>An on-us approval that a reversal (or, for a hold, a completion) can still find.</summary>
internal sealed class ReversalEntry(string transactionId, string key, string accountId, ushort currency, int day, DateTime timeUtc)
{
    /// <summary>The approved transaction.</summary>
    public string TransactionId { get; } = transactionId;

    /// <summary>Its index key (original MTI, STAN, DE7, DE32, terminal id).</summary>
    public string Key { get; } = key;

    /// <summary>The account it moved.</summary>
    public string AccountId { get; } = accountId;

    /// <summary>The account's currency.</summary>
    public ushort Currency { get; } = currency;

    /// <summary>UTC day it counted in.</summary>
    public int Day { get; } = day;

    /// <summary>When it was approved (event time): the window counts from it.</summary>
    public DateTime TimeUtc { get; } = timeUtc;

    /// <summary>A hold (0100) or a debit (0200, or a completed hold).</summary>
    public LegKind Kind { get; set; }

    /// <summary>What is still held or debited (original minus what reversals gave back).</summary>
    public long Amount { get; set; }

    /// <summary>A hold completed by a 0220.</summary>
    public bool Completed { get; set; }
}

/// <summary>
/// The state one partition owns: its accounts and its part of the reversal index. Only the partition's writer touches
/// it, so nothing here locks. Every change is <see cref="Fold"/> of a balance-effect event (+1 to apply, −1 to undo an
/// aborted decision): the live decision and the start-up replay run the same code, so they cannot drift apart.
/// </summary>
internal sealed class OnUsState(int reversalEntriesMax, TimeSpan reversalWindow)
{
    private readonly Dictionary<string, AccountState> _accounts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OpenHold> _holdSince = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ReversalEntry> _byKey = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ReversalEntry> _byTransaction = new(StringComparer.Ordinal);
    private readonly Queue<ReversalEntry> _order = new();

    /// <summary>Accounts with state.</summary>
    public IReadOnlyDictionary<string, AccountState> Accounts => _accounts;

    /// <summary>Open holds of the partition by the transaction that placed them: account, currency and when (hold expiry reads it).</summary>
    public IReadOnlyDictionary<string, OpenHold> OpenHolds => _holdSince;

    /// <summary>The reversal index's entries.</summary>
    public IEnumerable<ReversalEntry> ReversalEntries => _byTransaction.Values;

    /// <summary>The account's state (created empty: opening balance, nothing held).</summary>
    public AccountState Account(string accountId)
    {
        if (!_accounts.TryGetValue(accountId, out var state))
        {
            state = new AccountState();
            _accounts.Add(accountId, state);
        }
        return state;
    }

    /// <summary>The approval indexed under <paramref name="key"/>, if still in the window at <paramref name="nowUtc"/>.</summary>
    public ReversalEntry? Find(string key, DateTime nowUtc) =>
        _byKey.TryGetValue(key, out var entry) && entry.TimeUtc >= nowUtc - reversalWindow ? entry : null;

    /// <summary>The account goes back to its master data state; its approvals leave the reversal index.</summary>
    public void Reset(string accountId)
    {
        _accounts.Remove(accountId);
        foreach (var txn in _holdSince.Where(h => h.Value.AccountId == accountId).Select(h => h.Key).ToList()) _holdSince.Remove(txn);
        foreach (var entry in _byTransaction.Values.Where(e => e.AccountId == accountId).ToList()) Forget(entry);
    }

    /// <summary>Applies (<paramref name="sign"/> +1) or undoes (−1) one balance effect.</summary>
    public void Fold(JournalEvent e, in EffectDetail d, int sign)
    {
        var account = Account(e.AccountId);
        long amount = e.AmountMinor * sign;
        string holdOf = d.Original ?? e.TransactionId;
        switch (e.Kind)
        {
            case LegKind.BalanceHold: account.Held += amount; MoveHold(account, holdOf, amount); TrackHold(account, e, d, holdOf); break;
            case LegKind.BalanceRelease: account.Held -= amount; MoveHold(account, holdOf, -amount); TrackHold(account, e, d, holdOf); break;
            case LegKind.BalanceDebit: account.Net -= amount; break;
            case LegKind.BalanceCredit: account.Net += amount; break;
        }
        if (d.Day != 0) AddDaily(account, d.Day, d.DailyDelta * sign);
        if (d.HasPin && !e.PanHash.IsEmpty) FoldTries(account, Convert.ToHexStringLower(e.PanHash.Span), d, sign);
        if (d.Key is not null)
        {
            if (sign > 0) Index(e, d);
            else if (_byTransaction.TryGetValue(e.TransactionId, out var added)) Forget(added);
        }
        if (d.Original is not null && _byTransaction.TryGetValue(d.Original, out var original)) Adjust(original, e.Kind, amount, d.Completion, sign);
    }

    private static void MoveHold(AccountState account, string transactionId, long amount)
    {
        if (amount == 0) return;
        long left = account.Holds.GetValueOrDefault(transactionId) + amount;
        if (left == 0) account.Holds.Remove(transactionId);
        else account.Holds[transactionId] = left;
    }

    /// <summary>
    /// Keeps <see cref="OpenHolds"/> in step with the account's holds: a hold that exists has a placement time (the
    /// event's, or the hs= of a release being undone), one that left has none. Whole seconds, as hs= carries them.
    /// </summary>
    private void TrackHold(AccountState account, JournalEvent e, in EffectDetail d, string holdOf)
    {
        if (!account.Holds.ContainsKey(holdOf)) _holdSince.Remove(holdOf);
        else if (!_holdSince.ContainsKey(holdOf)) _holdSince.Add(holdOf, new OpenHold(e.AccountId, e.CurrencyNumeric, ToSeconds(d.HoldSince ?? e.TimeUtc)));
    }

    /// <summary>A UTC time without its fraction of a second.</summary>
    public static DateTime ToSeconds(DateTime utc) => new(utc.Ticks - utc.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);

    private static void AddDaily(AccountState account, int day, long delta)
    {
        if (day == account.Day) account.Daily += delta;
        else if (day > account.Day && delta > 0)
        {
            // A new UTC day starts a new total; a give-back of a day the account has moved past changes nothing.
            account.Day = day;
            account.Daily = delta;
        }
    }

    private static void FoldTries(AccountState account, string panHashHex, in EffectDetail d, int sign)
    {
        // The journal says the count after the event. An undo puts the count before back only if nothing moved it
        // since; otherwise a later journaled count stands, as a replay of the journal alone would leave it.
        if (sign > 0) SetTries(account, panHashHex, d.PinAfter);
        else if (account.TriesOf(panHashHex) == d.PinAfter) SetTries(account, panHashHex, d.PinBefore);
    }

    private static void SetTries(AccountState account, string panHashHex, int tries)
    {
        if (tries == 0) account.PinTries.Remove(panHashHex);
        else account.PinTries[panHashHex] = tries;
    }

    private void Index(JournalEvent e, in EffectDetail d)
    {
        var entry = new ReversalEntry(e.TransactionId, d.Key!, e.AccountId, e.CurrencyNumeric, d.Day, e.TimeUtc)
        {
            Kind = e.Kind,
            Amount = e.AmountMinor,
        };
        _byTransaction[entry.TransactionId] = entry;
        _byKey[entry.Key] = entry;
        _order.Enqueue(entry);
        Trim(e.TimeUtc);
    }

    private static void Adjust(ReversalEntry entry, LegKind kind, long amount, bool completion, int sign)
    {
        switch (kind)
        {
            case LegKind.BalanceRelease or LegKind.BalanceCredit: entry.Amount -= amount; break;
            case LegKind.BalanceDebit when completion:
                // The completion's debit replaces the released hold: the entry becomes a debit of the completed amount.
                entry.Amount += amount;
                entry.Kind = sign > 0 ? LegKind.BalanceDebit : LegKind.BalanceHold;
                entry.Completed = sign > 0;
                break;
        }
    }

    /// <summary>Forgets approvals past the window or over the bound, oldest first (event time, so a replay trims alike).</summary>
    private void Trim(DateTime nowUtc)
    {
        DateTime oldest = nowUtc - reversalWindow;
        while (_order.TryPeek(out var head)
               && (_byTransaction.Count > reversalEntriesMax || _order.Count > 2 * reversalEntriesMax || head.TimeUtc < oldest))
        {
            _order.Dequeue();
            if (_byTransaction.TryGetValue(head.TransactionId, out var current) && ReferenceEquals(current, head)) Forget(head);
        }
    }

    private void Forget(ReversalEntry entry)
    {
        _byTransaction.Remove(entry.TransactionId);
        if (_byKey.TryGetValue(entry.Key, out var byKey) && ReferenceEquals(byKey, entry)) _byKey.Remove(entry.Key);
    }

    /// <summary>
    /// Writes the whole state (State/CoreStateSnapshot): accounts, open holds, and the reversal index exactly as its
    /// three structures hold it (entries by transaction, by key, and the trim order with the stale entries in it), so
    /// a state read back trims and finds as this one would.
    /// </summary>
    public void WriteTo(BinaryWriter w)
    {
        w.Write(_accounts.Count);
        foreach (var (id, a) in _accounts)
        {
            w.Write(id);
            w.Write(a.Net);
            w.Write(a.Held);
            w.Write(a.Day);
            w.Write(a.Daily);
            w.Write(a.Holds.Count);
            foreach (var (txn, amount) in a.Holds)
            {
                w.Write(txn);
                w.Write(amount);
            }
            w.Write(a.PinTries.Count);
            foreach (var (hash, tries) in a.PinTries)
            {
                w.Write(hash);
                w.Write(tries);
            }
        }
        w.Write(_holdSince.Count);
        foreach (var (txn, hold) in _holdSince)
        {
            w.Write(txn);
            w.Write(hold.AccountId);
            w.Write(hold.Currency);
            w.Write(hold.SinceUtc.Ticks);
        }
        // Every distinct entry once (by reference), then which structure holds it.
        var entries = new List<ReversalEntry>();
        var number = new Dictionary<ReversalEntry, int>(ReferenceEqualityComparer.Instance);
        foreach (var e in _order.Concat(_byTransaction.Values).Concat(_byKey.Values))
        {
            if (number.TryAdd(e, entries.Count)) entries.Add(e);
        }
        w.Write(entries.Count);
        foreach (var e in entries)
        {
            w.Write(e.TransactionId);
            w.Write(e.Key);
            w.Write(e.AccountId);
            w.Write(e.Currency);
            w.Write(e.Day);
            w.Write(e.TimeUtc.Ticks);
            w.Write((int)e.Kind);
            w.Write(e.Amount);
            w.Write(e.Completed);
            w.Write(_byTransaction.TryGetValue(e.TransactionId, out var t) && ReferenceEquals(t, e));
            w.Write(_byKey.TryGetValue(e.Key, out var k) && ReferenceEquals(k, e));
        }
        w.Write(_order.Count);
        foreach (var e in _order) w.Write(number[e]);
    }

    /// <summary>Replaces the whole state by one <see cref="WriteTo"/> wrote (at start, before any decision).</summary>
    public void ReadFrom(BinaryReader r)
    {
        _accounts.Clear();
        _holdSince.Clear();
        _byKey.Clear();
        _byTransaction.Clear();
        _order.Clear();
        for (int i = r.ReadInt32(); i > 0; i--)
        {
            var a = Account(r.ReadString());
            a.Net = r.ReadInt64();
            a.Held = r.ReadInt64();
            a.Day = r.ReadInt32();
            a.Daily = r.ReadInt64();
            for (int h = r.ReadInt32(); h > 0; h--) a.Holds.Add(r.ReadString(), r.ReadInt64());
            for (int p = r.ReadInt32(); p > 0; p--) a.PinTries.Add(r.ReadString(), r.ReadInt32());
        }
        for (int i = r.ReadInt32(); i > 0; i--)
            _holdSince.Add(r.ReadString(), new OpenHold(r.ReadString(), r.ReadUInt16(), new DateTime(r.ReadInt64(), DateTimeKind.Utc)));
        var entries = new ReversalEntry[r.ReadInt32()];
        for (int i = 0; i < entries.Length; i++)
        {
            var e = new ReversalEntry(r.ReadString(), r.ReadString(), r.ReadString(), r.ReadUInt16(), r.ReadInt32(), new DateTime(r.ReadInt64(), DateTimeKind.Utc))
            {
                Kind = (LegKind)r.ReadInt32(),
                Amount = r.ReadInt64(),
                Completed = r.ReadBoolean(),
            };
            if (r.ReadBoolean()) _byTransaction[e.TransactionId] = e;
            if (r.ReadBoolean()) _byKey[e.Key] = e;
            entries[i] = e;
        }
        for (int i = r.ReadInt32(); i > 0; i--) _order.Enqueue(entries[r.ReadInt32()]);
    }
}

using System.Globalization;
using Switch.Core.Keys;
using Switch.Core.MasterData;
using Switch.Core.Time;
using Switch.Core.Transactions;
using Switch.Journal;
using Switch.Journal.Events;
using Switch.Security;
using Switch.Security.Pin;

namespace Switch.Core.Authorization;

/// <summary>An on-us account's balances as the authorizer holds them (opening balance plus journaled effects).</summary>
public sealed record OnUsAccountBalance(string AccountId, long LedgerMinor, long HeldMinor, long AvailableMinor, int DailyDay, long DailyTotalMinor, int HoldCount);

/// <summary>
/// The on-us authorizer (issue 17, docs/core.md "On-us authorizer"). The checks that need no state run on the caller:
/// card known (14), expiry (54), status (41/43/62/57), CVV in track 2 (05) and the PIN verify through the HSM. The rest
/// (PIN tries 55/75, per-transaction and daily limits 61, funds 51, holds, completions, reversals 25) runs on the
/// account's partition: accounts are hashed to <see cref="CoreOptions.Partitions"/> partitions, each a bounded queue
/// with one worker that alone owns the partition's balances, so no balance change locks or retries.
/// </summary>
public sealed class OnUsAuthorizer : IOnUsAuthorizer, IAsyncDisposable
{
    private readonly OnUsPartition[] _partitions;
    private readonly ISecurityModule _hsm;
    private readonly IKeyRing _keys;
    private readonly IClock _clock;
    private readonly string? _dukptPinKeyRef;
    private readonly Serilog.ILogger _log;
    private readonly TimeSpan _holdLifetime;
    private readonly CancellationTokenSource _stop = new();
    private Task _expiryLoop = Task.CompletedTask;
    private int _approvalCounter = Random.Shared.Next(1_000_000);

    /// <summary>Most holds one partition releases in one expiry pass (the rest go at the next).</summary>
    internal const int ExpiryBatchMax = 1_000;

    /// <summary>Starts one worker per partition.</summary>
    public OnUsAuthorizer(CoreOptions options, ISecurityModule hsm, IKeyRing keys, IClock clock, Serilog.ILogger? log = null)
    {
        _hsm = hsm;
        _keys = keys;
        _clock = clock;
        _dukptPinKeyRef = options.DukptPinKeyRef;
        _log = (log ?? Serilog.Core.Logger.None).ForContext<OnUsAuthorizer>();
        _holdLifetime = TimeSpan.FromMinutes(options.HoldExpiryMinutes);
        int count = options.Partitions > 0 ? options.Partitions : Environment.ProcessorCount;
        int entriesMax = Math.Max(1, options.ReversalEntriesMax / count);
        var window = TimeSpan.FromMilliseconds(options.ReversalWindowMs);
        _partitions = [.. Enumerable.Range(0, count).Select(i => new OnUsPartition(i, options.PartitionQueueMax, entriesMax, window, _log))];
    }

    /// <summary>Number of partitions.</summary>
    public int PartitionCount => _partitions.Length;

    /// <summary>The partition owning <paramref name="accountId"/> (FNV-1a of its characters: stable across runs and nodes).</summary>
    public int PartitionOf(string accountId)
    {
        uint hash = 2166136261;
        foreach (char c in accountId) hash = (hash ^ c) * 16777619;
        return (int)(hash % (uint)_partitions.Length);
    }

    /// <inheritdoc/>
    public async ValueTask<OnUsDecision> AuthorizeAsync(OnUsRequest request, CancellationToken ct)
    {
        var txn = request.Transaction;
        var card = request.MasterData.Card(request.PanHashHex);
        if (card is null || txn.Pan is null) return Answer("14");
        var account = request.MasterData.Account(card.AccountId);
        if (account is null)
        {
            _log.Warning("on-us card {Pan} names account {Account} that the master data does not hold", txn.PanMasked, card.AccountId);
            return Answer("14");
        }
        if (txn.Kind == TransactionKind.Unknown) return Answer("12");
        var pin = PinCheck.Absent;
        if (txn.Kind is not (TransactionKind.Reversal or TransactionKind.Advice))
        {
            string? declined = CheckCard(card, account, txn, _clock.UtcNow);
            if (declined is not null) return Answer(declined);
            var bin = request.MasterData.BinOf(txn.Pan);
            if (bin is null)
            {
                _log.Error("on-us card {Pan} has no on-us BIN profile (no PVK or CVK): answered 96", txn.PanMasked);
                return Answer("96");
            }
            try
            {
                if (!await CvvRightAsync(bin, txn, ct).ConfigureAwait(false)) return Answer("05");
                if (txn.HasPin) pin = await VerifyPinAsync(bin, card, request.Terminal, txn, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (HsmFailure.KindOf(ex) is not null || ex is KeyNotFoundException or SecurityInputException)
            {
                // Fail closed: no software fallback, no approval without the HSM's word.
                _log.Warning("on-us {Txn}: security module failed ({Error}): answered 96", txn.ToString(), ex.Message);
                return Answer("96");
            }
        }
        return await DecideAsync(new DecisionInput(txn, card, account, request.PanHashHex, pin, _clock.UtcNow, NextApprovalCode())).ConfigureAwait(false);
    }

    private async Task<OnUsDecision> DecideAsync(DecisionInput input)
    {
        var work = new DecideWork(input);
        if (!_partitions[PartitionOf(input.Account.AccountId)].TryDecide(work))
        {
            _log.Warning("on-us partition of account {Account} is full: {Txn} answered 96", input.Account.AccountId, input.Transaction.ToString());
            return Answer("96");
        }
        // Not cancellable once queued: the worker applies the effects tentatively, and only a decision the pipeline
        // holds can be committed or aborted. The worker's step takes microseconds.
        try
        {
            return await work.Result.Task.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _log.Error(ex, "on-us {Txn}: decision failed: answered 96", input.Transaction.ToString());
            return Answer("96");
        }
    }

    /// <inheritdoc/>
    public void Commit(OnUsDecision decision)
    {
        // The effects were applied when decided; committing only closes the decision so a later Abort cannot undo it.
        if (decision.State is Tentative t) t.Close();
    }

    /// <inheritdoc/>
    public void Abort(OnUsDecision decision)
    {
        if (decision.State is not Tentative t || !t.Close()) return;
        if (!_partitions[PartitionOf(t.AccountId)].Enqueue(new OnUsPartition.FoldWork(t.Effects, -1)))
            _log.Error("on-us authorizer stopped before the abort of {Txn} on account {Account}: its effects stay until the journal replay at the next start", t.Effects[0].Event.TransactionId, t.AccountId);
    }

    /// <inheritdoc/>
    public void Apply(JournalRecord record)
    {
        var e = record.Event;
        if (e.AccountId.Length == 0) return; // the pipeline's legs and other events without an account change nothing here
        var partition = _partitions[PartitionOf(e.AccountId)];
        switch (e.Kind)
        {
            case LegKind.StateReset:
                partition.EnqueuePaced(new OnUsPartition.ResetWork(e.AccountId));
                break;
            case LegKind.BalanceHold or LegKind.BalanceDebit or LegKind.BalanceRelease or LegKind.BalanceCredit:
                if (EffectDetail.TryParse(e.Detail, out var detail, out string problem))
                    partition.EnqueuePaced(new OnUsPartition.FoldWork([(e, detail)], +1));
                else
                    _log.Warning("journal event {Node}:{Sequence} ({Kind}, account {Account}): detail not understood ({Problem}); skipped", record.Id.NodeId, record.Id.Sequence, e.Kind, e.AccountId, problem);
                break;
        }
    }

    /// <summary>The account's balances, after everything queued on its partition so far (replayed events included).</summary>
    public Task<OnUsAccountBalance> BalanceAsync(AccountRecord account, CancellationToken ct) =>
        _partitions[PartitionOf(account.AccountId)].InspectAsync(state =>
        {
            var s = state.Account(account.AccountId);
            return new OnUsAccountBalance(account.AccountId, account.OpeningBalanceMinor + s.Net, s.Held, OnUsRules.Available(account, s), s.Day, s.Daily, s.Holds.Count);
        }).WaitAsync(ct);

    /// <summary>Completes when every partition has done what was queued before (e.g. the start-up replay).</summary>
    public Task DrainAsync(CancellationToken ct) => Task.WhenAll(_partitions.Select(p => p.InspectAsync(_ => 0))).WaitAsync(ct);

    /// <summary>Runs <paramref name="read"/> on a partition's worker (tests: state dumps, holding a partition busy).</summary>
    internal Task<T> InspectAsync<T>(int partition, Func<OnUsState, T> read) => _partitions[partition].InspectAsync(read);

    /// <summary>
    /// Starts releasing expired holds (after the start-up replay): every tenth of the hold lifetime, between 1 s and
    /// 60 s, <see cref="ExpireHoldsAsync"/>.
    /// </summary>
    public void StartHoldExpiry(IJournal journal)
    {
        var period = TimeSpan.FromTicks(Math.Clamp(_holdLifetime.Ticks / 10, TimeSpan.TicksPerSecond, TimeSpan.TicksPerMinute));
        _expiryLoop = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(period);
            try
            {
                while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false)) await ExpireHoldsAsync(journal, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                // Stopping.
            }
        });
    }

    /// <summary>
    /// Releases every hold placed <see cref="CoreOptions.HoldExpiryMinutes"/> or more before <see cref="IClock.UtcNow"/>
    /// (at most <see cref="ExpiryBatchMax"/> per partition a pass): decided on the partition's worker (folded
    /// tentatively, so no decision sees the hold meanwhile), journaled one append per hold, undone when the append
    /// fails (the next pass tries again). Returns how many releases are durable. The wall clock decides once; the
    /// journaled release is what a replay folds, so a rebuilt state never re-decides an expiry.
    /// </summary>
    public async Task<int> ExpireHoldsAsync(IJournal journal, CancellationToken ct)
    {
        DateTime now = _clock.UtcNow;
        int released = 0;
        foreach (var partition in _partitions)
        {
            var due = await partition.InspectAsync(state => OnUsRules.ExpireHolds(state, now, _holdLifetime, ExpiryBatchMax)).WaitAsync(ct).ConfigureAwait(false);
            if (due.Count == 0) continue;
            var appends = due.Select(t => AppendReleaseAsync(journal, partition, t, ct)).ToArray();
            foreach (bool durable in await Task.WhenAll(appends).ConfigureAwait(false)) if (durable) released++;
        }
        if (released > 0) _log.Information("Hold expiry: {Count} holds older than {Minutes} minutes released", released, (int)_holdLifetime.TotalMinutes);
        return released;
    }

    private async Task<bool> AppendReleaseAsync(IJournal journal, OnUsPartition partition, Tentative release, CancellationToken ct)
    {
        var e = release.Effects[0].Event;
        try
        {
            await journal.AppendAsync([e], ct).ConfigureAwait(false);
            release.Close();
            return true;
        }
        catch (Exception ex)
        {
            // Not on record: the hold is put back as it was and expires at a later pass.
            if (release.Close()) partition.Enqueue(new OnUsPartition.FoldWork(release.Effects, -1));
            _log.Warning("Hold expiry of txn {Txn} on account {Account}: journal refused the release ({Error}); retried later", e.TransactionId, e.AccountId, ex.Message);
            return false;
        }
    }

    /// <summary>Writes every partition's state, each on its own worker after what is queued before it (State/CoreStateSnapshot).</summary>
    internal async Task WriteSnapshotAsync(BinaryWriter w, CancellationToken ct)
    {
        w.Write(_partitions.Length);
        foreach (var partition in _partitions)
        {
            // Serialized on the worker into its own buffer: the state is never read from another thread.
            byte[] bytes = await partition.InspectAsync(state =>
            {
                using var buffer = new MemoryStream();
                using (var own = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true)) state.WriteTo(own);
                return buffer.ToArray();
            }).WaitAsync(ct).ConfigureAwait(false);
            w.Write(bytes.Length);
            w.Write(bytes);
        }
    }

    /// <summary>Replaces every partition's state by a snapshot's (at start, before any decision); false when its partition count differs.</summary>
    internal async Task<bool> ReadSnapshotAsync(BinaryReader r, CancellationToken ct)
    {
        if (r.ReadInt32() != _partitions.Length) return false;
        foreach (var partition in _partitions)
        {
            byte[] bytes = r.ReadBytes(r.ReadInt32());
            await partition.InspectAsync(state =>
            {
                using var own = new BinaryReader(new MemoryStream(bytes), System.Text.Encoding.UTF8);
                state.ReadFrom(own);
                return 0;
            }).WaitAsync(ct).ConfigureAwait(false);
        }
        return true;
    }

    /// <summary>Stops hold expiry and the workers after what is queued.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await _stop.CancelAsync().ConfigureAwait(false);
        await _expiryLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var partition in _partitions) await partition.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Expiry 54, status 41/43/62/57, currency of the account 57; null when the card may go on.</summary>
    internal static string? CheckCard(CardRecord card, AccountRecord account, CardTransaction txn, DateTime nowUtc)
    {
        string expiry = txn.Expiry.Length > 0 ? txn.Expiry : Track2.ExpiryOf(txn.Track2) ?? card.ExpiryYymm;
        if (!TryMonth(expiry, out int month)) return "54"; // an expiry that is no YYMM cannot be shown to be in date
        if (month < nowUtc.Year * 12 + nowUtc.Month - 1) return "54";
        switch (card.Status)
        {
            case CardStatus.Lost: return "41";
            case CardStatus.Stolen: return "43";
            case CardStatus.Restricted: return "62";
            case CardStatus.NotPermitted: return "57";
        }
        if (txn.CurrencyNumeric != 0 && txn.CurrencyNumeric != account.CurrencyNumeric) return "57";
        return null;
    }

    /// <summary>YYMM as months since year 0 (years 2000–2099).</summary>
    private static bool TryMonth(string yymm, out int month)
    {
        month = 0;
        if (yymm.Length != 4 || !int.TryParse(yymm, NumberStyles.None, CultureInfo.InvariantCulture, out int value)) return false;
        int mm = value % 100;
        if (mm is < 1 or > 12) return false;
        month = (2000 + value / 100) * 12 + mm - 1;
        return true;
    }

    /// <summary>True without track 2 (nothing to check), else the HSM's CVV verify under the BIN's CVK; a malformed track 2 is wrong.</summary>
    private async ValueTask<bool> CvvRightAsync(OnUsBinProfile bin, CardTransaction txn, CancellationToken ct)
    {
        if (txn.Track2 is null) return true;
        if (!Track2.TryParse(txn.Track2, out var track) || track.Pan != txn.Pan) return false;
        var cvk = await _keys.GetAsync(bin.CvkRef, ct).ConfigureAwait(false);
        return await _hsm.VerifyCvvAsync(cvk, txn.Pan!, track.Expiry, track.ServiceCode, track.Cvv, ct).ConfigureAwait(false);
    }

    /// <summary>Visa PVV verify of DE52 (format 0 under the TPK; a DUKPT block is first translated to the switch's zone PIN key).</summary>
    private async ValueTask<PinCheck> VerifyPinAsync(OnUsBinProfile bin, CardRecord card, TerminalProfile terminal, CardTransaction txn, CancellationToken ct)
    {
        var pvk = await _keys.GetAsync(bin.PvkRef, ct).ConfigureAwait(false);
        EncryptedPinBlock block;
        if (terminal.BdkRef is not null && !txn.Ksn.IsEmpty)
        {
            if (_dukptPinKeyRef is null) throw new KeyNotFoundException("core.dukptPinKeyRef is not set: a DUKPT PIN of an on-us card cannot be verified");
            var bdk = await _keys.GetAsync(terminal.BdkRef, ct).ConfigureAwait(false);
            var zpk = await _keys.GetAsync(_dukptPinKeyRef, ct).ConfigureAwait(false);
            var translated = new byte[16];
            try
            {
                int n = await _hsm.TranslateDukptPinAsync(bdk, txn.Ksn, PinBlockFormat.Iso0, txn.PinBlock, txn.Pan!, zpk, PinBlockFormat.Iso0, translated, ct).ConfigureAwait(false);
                block = new EncryptedPinBlock(zpk, PinBlockFormat.Iso0, translated.AsMemory(0, n));
            }
            catch (SecurityInputException ex) when (ex.Problem is SecurityInputProblem.PinBlock or SecurityInputProblem.PinLength)
            {
                return PinCheck.Wrong;
            }
        }
        else
        {
            var tpk = await _keys.GetAsync(terminal.TpkRef ?? throw new KeyNotFoundException($"terminal {terminal.TerminalId} has no TPK"), ct).ConfigureAwait(false);
            block = new EncryptedPinBlock(tpk, PinBlockFormat.Iso0, txn.PinBlock);
        }
        try
        {
            return await _hsm.VerifyPinPvvAsync(block, txn.Pan!, pvk, card.Pvki, card.Pvv, ct).ConfigureAwait(false) ? PinCheck.Right : PinCheck.Wrong;
        }
        catch (SecurityInputException ex) when (ex.Problem is SecurityInputProblem.PinBlock or SecurityInputProblem.PinLength)
        {
            // A block that does not decipher to a format 0 block is a wrong PIN (wrong key at the PIN pad, or garbage): it counts as a try.
            return PinCheck.Wrong;
        }
    }

    private string NextApprovalCode()
    {
        uint n = (uint)Interlocked.Increment(ref _approvalCounter) % 1_000_000;
        return n.ToString("D6", CultureInfo.InvariantCulture);
    }

    private static OnUsDecision Answer(string code) => new() { ResponseCode = code };

    /// <summary>The tentative effects of one decision, closed once by Commit or Abort.</summary>
    internal sealed class Tentative(string accountId, IReadOnlyList<(JournalEvent Event, EffectDetail Detail)> effects)
    {
        private int _closed;

        public string AccountId { get; } = accountId;

        public IReadOnlyList<(JournalEvent Event, EffectDetail Detail)> Effects { get; } = effects;

        /// <summary>True the first time only.</summary>
        public bool Close() => Interlocked.Exchange(ref _closed, 1) == 0;
    }

    private sealed class DecideWork(DecisionInput input) : OnUsPartition.Work
    {
        public TaskCompletionSource<OnUsDecision> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void Run(OnUsState state) => Result.SetResult(OnUsRules.Decide(state, input));

        public override void Fail(Exception ex) => Result.TrySetException(ex);
    }
}

/// <summary>Track 2 of an on-us card: PAN, separator (= or D), YYMM, service code, then PVKI (1), PVV (4), CVV (3).</summary>
internal readonly record struct Track2(string Pan, string Expiry, string ServiceCode, string Cvv)
{
    /// <summary>Parses; false for anything else (the CVV cannot be found, so it is not right).</summary>
    public static bool TryParse(string text, out Track2 track)
    {
        track = default;
        int sep = text.IndexOfAny(['=', 'D']);
        if (sep is < 12 or > 19 || text.Length < sep + 1 + 15) return false;
        foreach (char c in text.AsSpan(sep + 1, 15)) if (!char.IsAsciiDigit(c)) return false;
        track = new Track2(text[..sep], text.Substring(sep + 1, 4), text.Substring(sep + 5, 3), text.Substring(sep + 13, 3));
        return true;
    }

    /// <summary>The YYMM of a track 2, or null.</summary>
    public static string? ExpiryOf(string? text) => text is not null && TryParse(text, out var t) ? t.Expiry : null;
}

using Serilog;
using Switch.Core.Metrics;
using Switch.Core.Time;
using Switch.Iso8583.Message;
using Switch.Iso8583.Vocabulary;
using Switch.Journal;
using Switch.Journal.Codec;
using Switch.Journal.Events;
using Switch.Journal.Pan;
using Switch.Network.Connector;
using Switch.Network.Mux;

namespace Switch.Core.StoreAndForward;

/// <summary>
/// Store-and-forward of reversals and advices, one ordered queue per connector: an entry is delivered only when its
/// connector is usable (signed on when required), first as 0420/0120/0220, then repeated (0421/0121/0221) with a
/// doubling backoff from <see cref="CoreOptions.SafFirstRetryMs"/> to <see cref="CoreOptions.SafRetryMaxMs"/> until
/// the issuer answers. Each transmission is journaled before it leaves (so a restart repeats, never sends a first
/// transmission twice) and the answer after it arrives (so a restart never delivers an answered entry again): their
/// own small appends, off every transaction's reply path. The queues are rebuilt at start by <see cref="Apply"/>.
/// </summary>
public sealed class StoreAndForwardQueues : IAsyncDisposable
{
    // How often a loop looks at its connector's state while it has nothing due (the connector raises no event).
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    // A transmission the connector refused without sending (a key blocked for its late window, a full table) is retried after this.
    private static readonly TimeSpan LocalRefusalRetry = TimeSpan.FromMilliseconds(200);

    private readonly CoreOptions _options;
    private readonly IReadOnlyDictionary<string, IsoConnector> _connectors;
    private readonly Dictionary<string, SafQueue> _queues;
    private readonly IJournal _journal;
    private readonly PanProtector _pans;
    private readonly IClock _clock;
    private readonly ICoreMetrics _metrics;
    private readonly ILogger _log;
    private readonly Dictionary<(SafKind, string), SafEntry> _recovered = [];
    private readonly CancellationTokenSource _stop = new();
    private Task[] _loops = [];

    /// <summary>Queues for every connector in <paramref name="connectors"/>.</summary>
    public StoreAndForwardQueues(CoreOptions options, IReadOnlyDictionary<string, IsoConnector> connectors, IJournal journal, PanProtector pans,
        IClock clock, ICoreMetrics metrics, ILogger log)
    {
        _options = options;
        _connectors = connectors;
        _journal = journal;
        _pans = pans;
        _clock = clock;
        _metrics = metrics;
        _log = log.ForContext<StoreAndForwardQueues>();
        _queues = connectors.Keys.ToDictionary(name => name, name => new SafQueue(name, options.SafEntriesMax), StringComparer.Ordinal);
    }

    /// <summary>Entries queued for <paramref name="endpoint"/> now (0 for an unknown one).</summary>
    public int Depth(string endpoint) => _queues.TryGetValue(endpoint, out var q) ? q.Depth : 0;

    /// <summary>The entries queued for <paramref name="endpoint"/>, head first (a copy, for readiness and tests).</summary>
    public IReadOnlyList<SafEntry> Entries(string endpoint) => _queues.TryGetValue(endpoint, out var q) ? q.Snapshot() : [];

    /// <summary>Whether entries for <paramref name="endpoint"/> are queued now (a new one must then queue behind them to keep the order).</summary>
    public bool HasBacklog(string endpoint) => Depth(endpoint) > 0;

    /// <summary>Reserves a place for an entry to <paramref name="endpoint"/>; false when its queue is full or unknown.</summary>
    public bool TryReserve(string endpoint) => _queues.TryGetValue(endpoint, out var q) && q.TryReserve();

    /// <summary>Gives back a reservation of an aborted decision.</summary>
    public void Release(string endpoint)
    {
        if (_queues.TryGetValue(endpoint, out var q)) q.Release();
    }

    /// <summary>Queues an entry whose place was reserved, now that its queued event is durable.</summary>
    public void AddReserved(SafEntry entry)
    {
        if (!_queues.TryGetValue(entry.Endpoint, out var q)) return;
        _metrics.SafDepth(q.Endpoint, q.AddReserved(entry));
    }

    /// <summary>Replays one durable journal record (start-up, in journal order, before <see cref="Start"/>).</summary>
    public void Apply(JournalRecord record)
    {
        var e = record.Event;
        switch (e.Kind)
        {
            case LegKind.ReversalQueued or LegKind.AdviceQueued:
                Recover(e);
                break;
            case LegKind.ReversalSent or LegKind.AdviceSent:
                if (_recovered.TryGetValue((KindOf(e.Kind), e.TransactionId), out var sent)) sent.RecordedAttempts = ++sent.Attempts;
                break;
            case LegKind.ReversalAnswered or LegKind.AdviceAnswered:
                if (_recovered.Remove((KindOf(e.Kind), e.TransactionId), out var answered)) _queues[answered.Endpoint].Remove(answered);
                break;
        }
    }

    /// <summary>
    /// Writes every queue's entries, head first, with their transmission counts (State/CoreStateSnapshot): each as its
    /// queued event in the journal's own encoding (the PAN only encrypted, as the journal holds it), so an entry queued
    /// before the snapshot's position is never lost by a rebuild that starts after it.
    /// </summary>
    internal void WriteSnapshot(BinaryWriter w)
    {
        w.Write(_queues.Count);
        foreach (var (name, q) in _queues.OrderBy(q => q.Key, StringComparer.Ordinal))
        {
            var entries = q.Snapshot();
            w.Write(name);
            w.Write(entries.Count);
            foreach (var entry in entries)
            {
                byte[] encoded = JournalEventCodec.Encode(default, entry.ToQueuedEvent(DateTime.UnixEpoch, 0, "", ""));
                w.Write(encoded.Length);
                w.Write(encoded);
                w.Write(entry.Attempts);
                w.Write(entry.RecordedAttempts);
            }
        }
    }

    /// <summary>Adds a snapshot's entries to the queues (at start, before <see cref="Apply"/> of what follows; the connector set must match).</summary>
    internal void ReadSnapshot(BinaryReader r)
    {
        for (int n = r.ReadInt32(); n > 0; n--)
        {
            var q = _queues[r.ReadString()];
            for (int i = r.ReadInt32(); i > 0; i--)
            {
                var e = JournalEventCodec.Decode(r.ReadBytes(r.ReadInt32())).Event;
                var entry = SafEntry.FromQueuedEvent(e) ?? throw new InvalidDataException($"snapshot entry of txn {e.TransactionId} is not a queued reversal or advice");
                entry.Attempts = r.ReadInt32();
                entry.RecordedAttempts = r.ReadInt32();
                _recovered[(entry.Kind, entry.TransactionId)] = entry;
                q.AddRecovered(entry);
            }
        }
    }

    private static SafKind KindOf(LegKind kind) => kind is LegKind.ReversalQueued or LegKind.ReversalSent or LegKind.ReversalAnswered ? SafKind.Reversal : SafKind.Advice;

    private void Recover(JournalEvent e)
    {
        var entry = SafEntry.FromQueuedEvent(e);
        if (entry is null) return;
        if (!_queues.TryGetValue(entry.Endpoint, out var q))
        {
            // A connector removed from the configuration: the entry cannot be delivered; the operator must see it.
            _log.Error("Store-and-forward: {Entry} names connector {Endpoint}, which is not configured; it is not delivered", entry, entry.Endpoint);
            return;
        }
        if (!_recovered.TryAdd((entry.Kind, entry.TransactionId), entry)) return;
        q.AddRecovered(entry);
    }

    /// <summary>Starts one delivery loop per connector (after the journal replay).</summary>
    public void Start()
    {
        if (_loops.Length > 0) throw new InvalidOperationException("store-and-forward already started");
        _recovered.Clear();
        foreach (var (name, connector) in _connectors)
        {
            var q = _queues[name];
            _metrics.SafDepth(name, q.Depth);
            connector.Mux.LateResponse += OnLateResponse;
        }
        _loops = [.. _queues.Values.Select(q => Task.Run(() => RunAsync(q, _connectors[q.Endpoint], _stop.Token)))];
    }

    /// <summary>
    /// A reply no request waited for: an answer to the entry being delivered that came after its timeout still
    /// answers it (the issuer has the entry); the loop journals it and moves on without repeating it.
    /// </summary>
    private void OnLateResponse(object? sender, LateResponseEventArgs e)
    {
        if (!_queues.TryGetValue(e.Connector, out var q) || q.Head is not { Attempts: > 0 } head) return;
        var response = e.Response;
        if (response.Mti != Mti.ResponseOf(head.Mti) || response.GetString(11) != head.Stan) return;
        head.AnswerCode = response.GetString(39);
        head.Answered = true;
        q.Signal();
    }

    private async Task RunAsync(SafQueue q, IsoConnector connector, CancellationToken stop)
    {
        bool wasUsable = false;
        while (!stop.IsCancellationRequested)
        {
            var head = q.Head;
            bool usable = connector.IsUsable;
            if (head is null || !usable)
            {
                if (!usable) wasUsable = false;
                if (!await q.WaitAsync(PollInterval, stop).ConfigureAwait(false)) return;
                continue;
            }
            // The connector just came back (reconnected and signed on): the head goes now, not at its backoff.
            if (!wasUsable) head.DueTicks = 0;
            wasUsable = true;
            long waitTicks = head.Answered ? 0 : head.DueTicks - _clock.MonotonicTicks;
            if (waitTicks > 0)
            {
                var wait = TimeSpan.FromSeconds(Math.Min(waitTicks / (double)System.Diagnostics.Stopwatch.Frequency, PollInterval.TotalSeconds));
                if (!await q.WaitAsync(wait, stop).ConfigureAwait(false)) return;
                continue;
            }
            try
            {
                await DeliverAsync(q, connector, head, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // A bug or a bad entry must not end the loop (the others behind it would never go): back off and retry.
                _log.Error(ex, "Store-and-forward: delivering {Entry} failed", head);
                head.DueTicks = _clock.DeadlineAfter(TimeSpan.FromMilliseconds(_options.SafRetryMaxMs));
            }
        }
    }

    private async Task DeliverAsync(SafQueue q, IsoConnector connector, SafEntry head, CancellationToken stop)
    {
        if (!head.Answered && !await TransmitAsync(connector, head, stop).ConfigureAwait(false)) return;
        if (!await TryAppendAsync(head.ToDeliveryEvent(answered: true, head.Attempts, _clock.UtcNow), stop).ConfigureAwait(false))
        {
            // Answered, but not yet on record: it is not sent again, only its record is retried.
            head.DueTicks = _clock.DeadlineAfter(TimeSpan.FromMilliseconds(_options.SafFirstRetryMs));
            return;
        }
        int depth = q.Remove(head);
        _metrics.SafDepth(q.Endpoint, depth);
        _log.Information("Store-and-forward: {Entry} answered with DE39 {ResponseCode} after {Attempts} transmission(s); {Depth} left",
            head, head.AnswerCode, head.Attempts, depth);
    }

    /// <summary>One transmission; true when it was answered.</summary>
    private async Task<bool> TransmitAsync(IsoConnector connector, SafEntry head, CancellationToken stop)
    {
        int attempt = head.Attempts;
        // On record before it leaves: after a crash the next transmission is a repeat, never a second first one.
        if (head.RecordedAttempts <= attempt)
        {
            if (!await TryAppendAsync(head.ToDeliveryEvent(answered: false, attempt, _clock.UtcNow), stop).ConfigureAwait(false))
            {
                head.DueTicks = _clock.DeadlineAfter(TimeSpan.FromMilliseconds(_options.SafFirstRetryMs));
                return false;
            }
            head.RecordedAttempts = attempt + 1;
        }
        // A late answer to the previous transmission may have come while the record was written.
        if (head.Answered) return true;
        IsoMessage message = SafMessages.Build(head, attempt, connector.Spec, _options.InstitutionId, _pans);
        var result = await connector.SendAsync(message, null, stop).ConfigureAwait(false);
        if (result.IsAnswered)
        {
            head.Attempts = attempt + 1;
            head.AnswerCode = result.Response!.GetString(39);
            head.Answered = true;
            return true;
        }
        if (result.Status is not (MuxStatus.TimedOut or MuxStatus.SendFailed))
        {
            // Refused before it left (its key is still blocked by the previous timeout, the table is full, the link
            // just dropped): the same recorded transmission is tried again shortly.
            head.DueTicks = _clock.DeadlineAfter(LocalRefusalRetry);
            _log.Debug("Store-and-forward: {Entry} not sent yet ({Status}); trying again", head, result.Status);
            return false;
        }
        head.Attempts = attempt + 1;
        if (head.Answered) return true; // its late answer arrived meanwhile
        var delay = Backoff(head.Attempts);
        head.DueTicks = _clock.DeadlineAfter(delay);
        _log.Warning("Store-and-forward: {Entry} transmission {Attempt} not answered ({Status}: {Error}); next in {DelayMs} ms",
            head, head.Attempts, result.Status, result.Error, (long)delay.TotalMilliseconds);
        return false;
    }

    /// <summary>The wait after transmission number <paramref name="attempts"/>: the first retry, doubling up to the maximum.</summary>
    internal TimeSpan Backoff(int attempts)
    {
        double ms = _options.SafFirstRetryMs * Math.Pow(2, Math.Min(Math.Max(attempts - 1, 0), 30));
        return TimeSpan.FromMilliseconds(Math.Min(ms, _options.SafRetryMaxMs));
    }

    private async Task<bool> TryAppendAsync(JournalEvent e, CancellationToken stop)
    {
        try
        {
            await _journal.AppendAsync([e], stop).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
        {
            _log.Warning("Store-and-forward: journal refused {Kind} of txn {TransactionId}: {Reason}; retrying later", e.Kind, e.TransactionId, ex.Message);
            return false;
        }
    }

    /// <summary>Stops the delivery loops (an entry being sent stays queued: it is repeated after the restart).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        _stop.Cancel();
        foreach (var connector in _connectors.Values) connector.Mux.LateResponse -= OnLateResponse;
        await Task.WhenAll(_loops).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (_loops.All(l => l.IsCompleted))
        {
            foreach (var q in _queues.Values) q.Dispose();
        }
        _stop.Dispose();
    }
}

using System.Diagnostics;
using Confluent.Kafka;
using Serilog;
using Switch.Journal.Codec;
using Switch.Journal.Spool;

namespace Switch.Journal.Kafka;

/// <summary>
/// Sends spooled events to Kafka in spool order (idempotent producer, acks=all), keyed by transaction id, and keeps
/// the contiguous acknowledged position. Any failed delivery (<c>Local_MsgTimedOut</c> past message.timeout.ms, or an
/// error the producer gave up on) leaves the record in the spool: once the in-flight records have reported, the
/// forwarder rewinds to the first unacknowledged record and sends again. A fatal producer error (e.g.
/// OUT_OF_ORDER_SEQUENCE_NUMBER) abandons the producer, builds a new one and resends from the spool; consumers drop
/// the duplicates by event id. The in-flight window is bounded.
/// </summary>
public sealed class KafkaForwarder : IDisposable
{
    private readonly SpoolWriter _spool;
    private readonly ISpoolStorage _storage;
    private readonly KafkaOptions _options;
    private readonly string _bootstrap;
    private readonly bool _forwardWritten;
    private readonly ILogger _log;
    private readonly Thread _thread;
    private readonly SemaphoreSlim _wake = new(0, int.MaxValue);
    private readonly Watermark _acked;
    private readonly InFlightWindow _window;
    private readonly SpoolCursor _cursor;
    private IProducer<byte[], byte[]>? _producer;
    private Action<DeliveryReport<byte[], byte[]>>? _handler;
    private int _generation;
    private volatile bool _fatal;
    private volatile bool _rewind;
    private volatile bool _stopping;
    private volatile bool _rebuilding;
    private long _produced;
    private long _failedDeliveries;
    private long _rebuilds;
    private long _lastRebuildMs;
    private long _resendThrough;
    private long _rewinds;
    private long _behindSinceMs = -1;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _disposed;
    private int _signaled;

    /// <summary>
    /// Starts forwarding records after <paramref name="ackedThrough"/>. With <paramref name="forwardWritten"/> (kafka mode)
    /// records go out as soon as they are written; otherwise only once fsynced (spool mode).
    /// </summary>
    public KafkaForwarder(SpoolWriter spool, ISpoolStorage storage, KafkaOptions options, string bootstrapServers, long ackedThrough, bool forwardWritten, ILogger log)
    {
        _spool = spool;
        _storage = storage;
        _options = options;
        _bootstrap = bootstrapServers;
        _forwardWritten = forwardWritten;
        _log = log;
        _acked = new Watermark(ackedThrough);
        _window = new InFlightWindow(options.InFlightMax);
        _cursor = new SpoolCursor(storage, spool.Segments, ackedThrough + 1);
        _thread = new Thread(Run) { Name = "journal-kafka-forwarder", IsBackground = true };
        _thread.Start();
    }

    /// <summary>Highest sequence such that it and every earlier spooled record are acknowledged by Kafka.</summary>
    public long AckedThrough => _acked.Value;

    /// <summary>Records produced and not yet reported.</summary>
    public int InFlight => _window.Count;

    /// <summary>Records handed to the producer (resends included).</summary>
    public long Produced => Interlocked.Read(ref _produced);

    /// <summary>Deliveries that failed and were resent from the spool.</summary>
    public long FailedDeliveries => Interlocked.Read(ref _failedDeliveries);

    /// <summary>Producers built after a fatal error.</summary>
    public long Rebuilds => Interlocked.Read(ref _rebuilds);

    /// <summary>Rewinds to the first unacknowledged record.</summary>
    public long Rewinds => Interlocked.Read(ref _rewinds);

    /// <summary>Milliseconds the last rebuild after a fatal error took, from detection to the new producer (F5: within 1 s).</summary>
    public long LastRebuildMs => Interlocked.Read(ref _lastRebuildMs);

    /// <summary>Whether a producer is being rebuilt after a fatal error, or the resend from the spool that follows has not caught up (readiness degraded).</summary>
    public bool Rebuilding => _rebuilding || _fatal || _acked.Value < Interlocked.Read(ref _resendThrough);

    /// <summary>How long Kafka has been behind the spool, in ms (0 when caught up): the lag metric.</summary>
    public long LagMs
    {
        get
        {
            long since = Interlocked.Read(ref _behindSinceMs);
            return since < 0 ? 0 : _clock.ElapsedMilliseconds - since;
        }
    }

    /// <summary>Completes when Kafka has acknowledged every record through <paramref name="sequence"/>.</summary>
    public Task WaitAckedAsync(long sequence) => _acked.WaitAsync(sequence);

    /// <summary>
    /// When set, the highest sequence the forwarder may send. The journal runtime uses it on librdkafka's mock cluster,
    /// whose partitions keep only their newest 5 MiB: sending far ahead of the projection would let the mock drop
    /// records before the projector read them. Null: no bound.
    /// </summary>
    public Func<long>? SendLimit { get; set; }

    /// <summary>Tells the forwarder the spool has new records (it also polls).</summary>
    public void Notify()
    {
        if (Interlocked.Exchange(ref _signaled, 1) == 0) _wake.Release();
    }

    /// <summary>Stops forwarding: flushes for at most flushTimeoutMs, then abandons what is left (it stays in the spool).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _stopping = true;
        _wake.Release();
        _thread.Join(TimeSpan.FromSeconds(10));
        IProducer<byte[], byte[]>? p = _producer;
        _producer = null;
        if (p is not null)
        {
            try
            {
                p.Flush(TimeSpan.FromMilliseconds(_options.FlushTimeoutMs));
            }
            catch (KafkaException)
            {
                // A fatal producer cannot flush; its records are still in the spool.
            }
            Abandon(p, wait: true);
        }
        _cursor.Dispose();
    }

    private void Run()
    {
        var rewindWait = Stopwatch.StartNew();
        while (!_stopping)
        {
            try
            {
                if (_producer is null || _fatal)
                {
                    Rebuild();
                    continue;
                }
                if (_rewind)
                {
                    if (_window.Pending > 0 && rewindWait.ElapsedMilliseconds < 2L * _options.MessageTimeoutMs + 1000)
                    {
                        _wake.Wait(5);
                        continue;
                    }
                    Rewind();
                    rewindWait.Restart();
                    continue;
                }
                rewindWait.Restart();
                Volatile.Write(ref _signaled, 0);
                if (!ForwardSome()) _wake.Wait(5);
            }
            catch (KafkaException ex) when (ex.Error.IsFatal || ex.Error.Code == ErrorCode.Local_Fatal)
            {
                _fatal = true;
            }
            catch (Exception ex)
            {
                // Never let the forwarder thread die: the spool keeps every record, so a fresh producer resends.
                _log.Error(ex, "Journal forwarder: unexpected error; rebuilding the producer");
                _fatal = true;
            }
        }
    }

    /// <summary>Produces what the spool has ready, within the in-flight window; false when nothing was sent.</summary>
    private bool ForwardSome()
    {
        long limit = _forwardWritten ? _spool.WrittenThrough : _spool.DurableThrough;
        TrackLag(limit);
        if (SendLimit is { } cap) limit = Math.Min(limit, cap());
        int sent = 0;
        while (sent < 10_000 && !_rewind && !_fatal && _window.Count < _options.InFlightMax && _cursor.TryRead(limit))
        {
            byte[] value = _cursor.Payload.ToArray();
            var message = new Message<byte[], byte[]> { Key = SpoolCursor.TransactionIdOf(value).ToArray(), Value = value };
            _window.Add(_cursor.Sequence);
            if (!Produce(message)) return sent > 0;
            sent++;
        }
        if (_cursor.SkippedProblem is { } problem) _log.Error("Journal forwarder: skipped a corrupt spool record: {Problem}", problem);
        // Nothing left at or below the limit and nothing in flight: every record there is acknowledged (sequences have
        // gaps, e.g. after a restart, so the position jumps over numbers no record has).
        if (sent == 0 && !_rewind && !_fatal && _window.Count == 0) _acked.Advance(limit);
        return sent > 0;
    }

    private bool Produce(Message<byte[], byte[]> message)
    {
        IProducer<byte[], byte[]> producer = _producer!;
        Action<DeliveryReport<byte[], byte[]>> handler = _handler!;
        while (true)
        {
            try
            {
                producer.Produce(_options.Topic, message, handler);
                Interlocked.Increment(ref _produced);
                return true;
            }
            catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
            {
                producer.Poll(TimeSpan.FromMilliseconds(10)); // librdkafka's own queue is full: let deliveries drain
                if (_stopping || _fatal) return false;
            }
            catch (ProduceException<byte[], byte[]> ex)
            {
                // Any other refusal: treat like a failed delivery (the record stays in the spool) or a fatal producer.
                if (ex.Error.IsFatal) _fatal = true;
                else _rewind = true;
                _window.Fail(PeekSequence(message.Value));
                return false;
            }
        }
    }

    private void OnDelivery(int generation, DeliveryReport<byte[], byte[]> report)
    {
        if (generation != Volatile.Read(ref _generation)) return; // a report from an abandoned producer
        long seq = PeekSequence(report.Message.Value);
        if (report.Error.IsError)
        {
            Interlocked.Increment(ref _failedDeliveries);
            if (report.Error.IsFatal) _fatal = true;
            _rewind = true;
            _window.Fail(seq);
            if (_failedDeliveries % 1000 == 1) _log.Warning("Journal forwarder: delivery of {Sequence} failed ({Error}); it stays in the spool and is resent", seq, report.Error.Code);
            return;
        }
        long through = _window.Ack(seq);
        if (through > 0) _acked.Advance(through);
        Notify();
    }

    private void Rewind()
    {
        long from = _acked.Value + 1;
        _window.Clear();
        _cursor.Seek(from);
        _rewind = false;
        Interlocked.Increment(ref _rewinds);
        _log.Information("Journal forwarder: resending from sequence {Sequence}", from);
        Thread.Sleep(_options.RetryBackoffMs);
    }

    private void Rebuild()
    {
        long started = _clock.ElapsedMilliseconds;
        _rebuilding = true;
        IProducer<byte[], byte[]>? old = _producer;
        Interlocked.Increment(ref _generation);
        if (old is not null)
        {
            Interlocked.Increment(ref _rebuilds);
            _log.Warning("Journal forwarder: fatal producer error; building a new producer and resending from sequence {Sequence}", _acked.Value + 1);
            Abandon(old, wait: false); // the new producer must not wait for the old one's Dispose
            Interlocked.Exchange(ref _resendThrough, _forwardWritten ? _spool.WrittenThrough : _spool.DurableThrough);
        }
        _fatal = false;
        _window.Clear();
        _cursor.Seek(_acked.Value + 1);
        _rewind = false;
        int generation = Volatile.Read(ref _generation);
        _handler = r => OnDelivery(generation, r); // one delegate per producer, not per message
        _producer = Build();
        _rebuilding = false;
        if (old is not null) Interlocked.Exchange(ref _lastRebuildMs, _clock.ElapsedMilliseconds - started);
    }

    private IProducer<byte[], byte[]> Build()
    {
        var config = new ProducerConfig
        {
            BootstrapServers = _bootstrap,
            EnableIdempotence = true,
            Acks = Acks.All,
            LingerMs = _options.LingerMs,
            BatchSize = _options.BatchBytesMax,
            MessageTimeoutMs = _options.MessageTimeoutMs,
            RequestTimeoutMs = _options.RequestTimeoutMs,
            QueueBufferingMaxMessages = _options.InFlightMax + 1000,
            RetryBackoffMs = 100,
            RetryBackoffMaxMs = 1000,
            MaxInFlight = 5,
            Partitioner = Partitioner.Murmur2Random,
            LogConnectionClose = false,
        };
        return new ProducerBuilder<byte[], byte[]>(config)
            .SetLogHandler((_, m) => _log.Debug("librdkafka {Facility}: {Message}", m.Facility, m.Message))
            .SetErrorHandler((_, e) =>
            {
                if (e.IsFatal)
                {
                    _fatal = true;
                    _wake.Release();
                }
                _log.Debug("librdkafka error {Code}: {Reason}", e.Code, e.Reason);
            })
            .Build();
    }

    /// <summary>Disposes a producer off this thread with a bound: librdkafka's Dispose can block far longer.</summary>
    private void Abandon(IProducer<byte[], byte[]> producer, bool wait)
    {
        var dispose = Task.Run(() =>
        {
            try
            {
                producer.Dispose();
            }
            catch (KafkaException)
            {
                // Nothing to do for a producer we are leaving.
            }
        });
        if (!wait) return;
        if (!dispose.Wait(_options.FlushTimeoutMs)) _log.Warning("Journal forwarder: an old producer did not close within {Ms} ms; abandoned", _options.FlushTimeoutMs);
    }

    private void TrackLag(long limit)
    {
        bool behind = _acked.Value < limit;
        long since = Interlocked.Read(ref _behindSinceMs);
        if (behind && since < 0) Interlocked.Exchange(ref _behindSinceMs, _clock.ElapsedMilliseconds);
        else if (!behind && since >= 0) Interlocked.Exchange(ref _behindSinceMs, -1);
    }

    private static long PeekSequence(byte[] value) => JournalEventCodec.PeekId(value).Sequence;

    /// <summary>
    /// The records produced and not yet acknowledged, in production order (sequences strictly increase). The
    /// acknowledged position advances only over a contiguous prefix of successes; a failure holds it until a rewind.
    /// </summary>
    private sealed class InFlightWindow(int capacity)
    {
        private readonly long[] _seqs = new long[capacity];
        private readonly byte[] _state = new byte[capacity]; // 0 pending, 1 acknowledged, 2 failed
        private readonly object _gate = new();
        private int _head;
        private int _count;
        private int _pending;

        public int Count { get { lock (_gate) return _count; } }

        public int Pending { get { lock (_gate) return _pending; } }

        public void Add(long seq)
        {
            lock (_gate)
            {
                int slot = (_head + _count) % _seqs.Length;
                _seqs[slot] = seq;
                _state[slot] = 0;
                _count++;
                _pending++;
            }
        }

        /// <summary>Marks a success; returns the new contiguous acknowledged sequence, or 0 if it did not move.</summary>
        public long Ack(long seq) => Mark(seq, 1);

        public void Fail(long seq) => Mark(seq, 2);

        public void Clear()
        {
            lock (_gate)
            {
                _head = 0;
                _count = 0;
                _pending = 0;
            }
        }

        private long Mark(long seq, byte state)
        {
            lock (_gate)
            {
                int i = Find(seq);
                if (i < 0 || _state[i] != 0) return 0;
                _state[i] = state;
                _pending--;
                long through = 0;
                while (_count > 0 && _state[_head] == 1)
                {
                    through = _seqs[_head];
                    _head = (_head + 1) % _seqs.Length;
                    _count--;
                }
                return through;
            }
        }

        private int Find(long seq)
        {
            int lo = 0, hi = _count - 1;
            while (lo <= hi)
            {
                int mid = (lo + hi) >>> 1;
                long v = _seqs[(_head + mid) % _seqs.Length];
                if (v == seq) return (_head + mid) % _seqs.Length;
                if (v < seq) lo = mid + 1;
                else hi = mid - 1;
            }
            return -1;
        }
    }
}

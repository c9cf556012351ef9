using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Switch.Iso8583.Message;
using Switch.Iso8583.Vocabulary;
using Switch.Simulators.Card;
using Switch.Transport.Framing;

namespace Switch.Simulators.Load;

/// <summary>
/// One TCP connection of a run: a sender that paces requests (open or closed loop) into batched writes, a reader that
/// matches answers to requests by DE 11, and the in-flight table the run's sweeper times out. Every request sent ends
/// in exactly one of answered, error or timeout.
/// </summary>
internal sealed class LoadConnection : IDisposable
{
    /// <summary>Most requests built into one write.</summary>
    private const int BatchMax = 64;

    /// <summary>Most approved transactions kept for reversals (the oldest are reversed first).</summary>
    private const int ReversibleMax = 4096;

    private sealed record Pending(LoadKind Kind, string Mti, IsoMessage? Original, long FromTicks, long SentTicks);

    private readonly LoadRun _run;
    private readonly int _index;
    private readonly Socket _socket;
    private readonly LoadRequests _requests;
    private readonly LatencyRecorder _latency;
    private readonly Dictionary<int, Pending> _pending = [];
    private readonly List<int> _expired = [];
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentQueue<IsoMessage> _reversible = new();
    private readonly Dictionary<string, long> _codes = new(StringComparer.Ordinal);
    private readonly long[] _sentByKind = new long[4];
    private int _reversibleCount;
    private long _sent, _answered, _errors, _timeouts, _late;
    private int _closed;

    public LoadConnection(LoadRun run, int index, Socket socket, LoadRequests requests, LatencyRecorder latency)
    {
        _run = run;
        _index = index;
        _socket = socket;
        _socket.NoDelay = true;
        _requests = requests;
        _latency = latency;
        // No maximum count: a failure releases one extra slot to wake the sender.
        _slots = new SemaphoreSlim(run.Options.InFlight);
    }

    public long Sent => Interlocked.Read(ref _sent);
    public long Answered => Interlocked.Read(ref _answered);
    public long Errors => Interlocked.Read(ref _errors);
    public long Timeouts => Interlocked.Read(ref _timeouts);
    public long Late => Interlocked.Read(ref _late);

    /// <summary>Requests sent and not yet answered, failed or timed out.</summary>
    public int InFlight
    {
        get
        {
            lock (_pending) return _pending.Count;
        }
    }

    /// <summary>DE 39 counts (read after the reader has stopped).</summary>
    public IReadOnlyDictionary<string, long> Codes => _codes;

    /// <summary>Requests sent by kind (read after the sender has stopped).</summary>
    public IReadOnlyList<long> SentByKind => _sentByKind;

    /// <summary>Sends until <paramref name="stop"/> (the run's end) or the connection fails; returns the open loop's requests due but not sent.</summary>
    public async Task<long> SendLoopAsync(CancellationToken stop)
    {
        var frames = new FrameWriter(_run.Format, _run.Header);
        long issued = 0;
        bool open = _run.Options.Mode == LoadMode.Open;
        try
        {
            while (!stop.IsCancellationRequested && Volatile.Read(ref _closed) == 0)
            {
                long due = open ? _run.DueCount(_index, Stopwatch.GetTimestamp()) - issued : BatchMax;
                if (open && due <= 0)
                {
                    if (issued >= _run.TotalFor(_index)) break;
                    await _run.WaitUntilAsync(_run.IntendedTicks(_index, issued), stop).ConfigureAwait(false);
                    continue;
                }
                if (!open && Stopwatch.GetTimestamp() >= _run.StopTicks) break;
                int n = await TakeSlotsAsync((int)Math.Min(due, BatchMax), stop).ConfigureAwait(false);
                frames.Reset();
                var now = DateTime.UtcNow;
                long sentTicks = Stopwatch.GetTimestamp();
                for (int i = 0; i < n; i++)
                {
                    long from = open ? _run.IntendedTicks(_index, issued) : sentTicks;
                    issued++;
                    AddRequest(frames, now, from, sentTicks);
                }
                // Not cancellable: a write cut in the middle would leave half a frame; a peer that stops reading is ended by the run closing the socket.
                await _socket.SendAsync(frames.Written, SocketFlags.None, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The run's end.
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            Fail($"send failed: {ex.Message}");
        }
        return open ? Math.Max(0, Math.Min(_run.DueCount(_index, _run.StopTicks), _run.TotalFor(_index)) - issued) : 0;
    }

    /// <summary>Waits for one in-flight slot, then takes up to <paramref name="most"/> − 1 more that are free now.</summary>
    private async Task<int> TakeSlotsAsync(int most, CancellationToken stop)
    {
        await _slots.WaitAsync(stop).ConfigureAwait(false);
        int n = 1;
        while (n < most && _slots.Wait(0, CancellationToken.None)) n++;
        return n;
    }

    private void AddRequest(FrameWriter frames, DateTime now, long fromTicks, long sentTicks)
    {
        int stanNumber = _run.NextStan();
        string stan = PosMessages.Stan(stanNumber);
        var kind = _run.Options.Mix.Pick(_requests.Draw());
        IsoMessage m;
        if (kind == LoadKind.Reversal && _reversible.TryDequeue(out var original))
        {
            Interlocked.Decrement(ref _reversibleCount);
            m = _requests.Reversal(original, now, stan);
        }
        else
        {
            if (kind == LoadKind.Reversal) kind = LoadKind.Purchase; // nothing approved to reverse yet
            m = _requests.Financial(kind, now, stan);
        }
        _requests.WriteFrame(m, frames);
        var pending = new Pending(kind, m.Mti!, kind is LoadKind.Purchase or LoadKind.Withdrawal ? m : null, fromTicks, sentTicks);
        // Registered before the write: the answer can arrive before SendAsync returns.
        lock (_pending) _pending[stanNumber] = pending;
        _sentByKind[(int)kind]++;
        Interlocked.Increment(ref _sent);
    }

    /// <summary>Reads answers until the connection closes.</summary>
    public async Task ReadLoopAsync()
    {
        var format = _run.Format;
        var buffer = new byte[Math.Max(64 * 1024, 2 * (format.OverheadBytes + format.Length.FrameBytesMax))];
        var header = new byte[Math.Max(1, format.Header.Length)];
        int start = 0, end = 0;
        try
        {
            while (true)
            {
                int n = await _socket.ReceiveAsync(buffer.AsMemory(end), SocketFlags.None).ConfigureAwait(false);
                if (n == 0)
                {
                    Fail("the target closed the connection");
                    return;
                }
                end += n;
                if (!TakeAnswers(buffer, ref start, end, header)) return;
                if (start == end) start = end = 0;
                else if (end == buffer.Length)
                {
                    // A partial frame at the end: move it to the front (the buffer holds two largest frames).
                    buffer.AsSpan(start, end - start).CopyTo(buffer);
                    end -= start;
                    start = 0;
                }
            }
        }
        catch (FrameFormatException ex)
        {
            Fail($"bad frame from the target: {ex.Message}");
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            Fail($"receive failed: {ex.Message}");
        }
    }

    /// <summary>Handles every complete frame in buffer[start..end]; false when the connection failed on a malformed answer.</summary>
    private bool TakeAnswers(byte[] buffer, ref int start, int end, byte[] header)
    {
        var sequence = new ReadOnlySequence<byte>(buffer, start, end - start);
        long before = sequence.Length;
        long now = Stopwatch.GetTimestamp();
        bool ok = true;
        while (ok && _run.Format.TryReadMessage(ref sequence, header, out var body))
        {
            if (!body.IsEmpty) ok = OnAnswer(body.First, now); // one array: one segment
        }
        start += (int)(before - sequence.Length);
        return ok;
    }

    private bool OnAnswer(ReadOnlyMemory<byte> body, long now)
    {
        if (!_run.Spec.TryDecode(body, out var answer, out var error))
        {
            Fail($"malformed answer: {error!.Message}");
            return false;
        }
        if (!int.TryParse(answer.GetString(11), NumberStyles.None, CultureInfo.InvariantCulture, out int stan) || !TryTake(stan, out var pending))
        {
            Interlocked.Increment(ref _late); // after its timeout, or not ours
            return true;
        }
        bool echoed = answer.Mti == pending.Mti;
        if (!echoed && answer.Mti != Mti.ResponseOf(pending.Mti))
        {
            _run.NoteError($"answer MTI {answer.Mti} to a {pending.Mti}");
            Interlocked.Increment(ref _errors);
        }
        else
        {
            _latency.Record(pending.FromTicks, now);
            string code = answer.GetString(39) ?? LoadReport.NoResponseCode;
            _codes[code] = _codes.GetValueOrDefault(code) + 1;
            Interlocked.Increment(ref _answered);
            if (pending.Original is not null && (code == "00" || echoed)) KeepForReversal(pending.Original);
        }
        _slots.Release();
        return true;
    }

    private bool TryTake(int stan, out Pending pending)
    {
        lock (_pending) return _pending.Remove(stan, out pending!);
    }

    private void KeepForReversal(IsoMessage original)
    {
        if (Interlocked.Increment(ref _reversibleCount) > ReversibleMax)
        {
            Interlocked.Decrement(ref _reversibleCount);
            return;
        }
        _reversible.Enqueue(original.Detach());
    }

    /// <summary>Times out requests sent more than the timeout before <paramref name="nowTicks"/>.</summary>
    public void Sweep(long nowTicks)
    {
        int n;
        lock (_pending)
        {
            _expired.Clear();
            foreach (var (stan, p) in _pending)
            {
                if (nowTicks - p.SentTicks > _run.TimeoutTicks) _expired.Add(stan);
            }
            foreach (int stan in _expired) _pending.Remove(stan);
            n = _expired.Count;
        }
        if (n == 0) return;
        Interlocked.Add(ref _timeouts, n);
        _slots.Release(n);
    }

    /// <summary>The connection failed: every request in flight is an error; the sender stops.</summary>
    private void Fail(string error)
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        _run.NoteError(error);
        int lost;
        lock (_pending)
        {
            lost = _pending.Count;
            _pending.Clear();
        }
        Interlocked.Add(ref _errors, lost);
        CloseSocket();
        _slots.Release(Math.Max(1, lost)); // wakes a sender waiting for a slot, so it sees the failure
    }

    /// <summary>The run is over: whatever is still in flight is a timeout; the socket closes (the reader ends).</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        int left;
        lock (_pending)
        {
            left = _pending.Count;
            _pending.Clear();
        }
        Interlocked.Add(ref _timeouts, left);
        CloseSocket();
    }

    private void CloseSocket()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }
        _socket.Dispose();
    }

    public void Dispose()
    {
        _requests.Dispose();
        _slots.Dispose();
    }
}

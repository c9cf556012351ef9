using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Sockets;
using HdrHistogram;
using Switch.Iso8583.Spec;
using Switch.Simulators.Card;
using Switch.Transport.Framing;

namespace Switch.Simulators.Load;

/// <summary>Once a second during a run, and once more at its end: totals so far, and the last interval's throughput and p99.</summary>
/// <param name="Phase">"target", or "echo" during <see cref="LoadOptions.CompareEcho"/>'s second run.</param>
public sealed record LoadProgress(string Phase, double ElapsedSeconds, long Sent, long Answered, long Errors, long Timeouts, double CurrentTps, double P99Ms, long InFlight)
{
    /// <summary>The progress line (one a second, and one with the final totals): "target 3 s: 41233 tps, sent 120345, answered 120100, errors 0, timeouts 0, p99 2.31 ms, in flight 245".</summary>
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{Phase} {ElapsedSeconds:0} s: {CurrentTps:0} tps, sent {Sent}, answered {Answered}, errors {Errors}, timeouts {Timeouts}, p99 {P99Ms:0.00} ms, in flight {InFlight}");
}

/// <summary>The target cannot be reached (nothing was sent).</summary>
public sealed class LoadTargetException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Runs load (docs/simulators.md, <c>switch sim load</c>): connects every connection first (an unreachable target is a
/// <see cref="LoadTargetException"/>, not a hang), sends for the duration, waits for what is in flight up to the answer
/// timeout, and reports. Cancelling ends the run early and still returns the report of what was done.
/// </summary>
public static class LoadRunner
{
    /// <summary>Connections sharing one latency recorder (bounds the histograms' memory).</summary>
    private const int ConnectionsPerRecorder = 4;

    /// <summary>Runs the load; with <see cref="LoadOptions.CompareEcho"/> the same shape then runs against an in-process echo.</summary>
    public static async Task<LoadReport> RunAsync(LoadOptions options, IProgress<LoadProgress>? progress, CancellationToken ct)
    {
        options.Validate();
        var report = await RunOnceAsync(options, "target", progress, ct).ConfigureAwait(false);
        if (!options.CompareEcho || ct.IsCancellationRequested) return report;
        await using var echo = new EchoServer(options.Framing, options.Header, port: 0, connectionsMax: LoadOptions.ConnectionsMax);
        echo.Start();
        var echoOptions = options with { Host = "127.0.0.1", Port = echo.Port, CompareEcho = false };
        var echoReport = await RunOnceAsync(echoOptions, "echo", progress, ct).ConfigureAwait(false);
        return report with { Echo = echoReport };
    }

    private static async Task<LoadReport> RunOnceAsync(LoadOptions options, string phase, IProgress<LoadProgress>? progress, CancellationToken ct)
    {
        var spec = SimWire.Spec(options.Spec);
        var format = SimWire.Framing(options.Framing, options.Header, spec);
        var terminal = PosTerminalKeys.Resolve(new PosTerminalOptions { TerminalId = options.TerminalId });
        var cards = new LoadCards(options.Cards);
        var sockets = await ConnectAllAsync(options, ct).ConfigureAwait(false);
        var run = new LoadRun(options, spec, format);
        var recorders = new LatencyRecorder[(options.Connections + ConnectionsPerRecorder - 1) / ConnectionsPerRecorder];
        for (int i = 0; i < recorders.Length; i++) recorders[i] = new LatencyRecorder();
        var connections = new LoadConnection[sockets.Length];
        for (int i = 0; i < sockets.Length; i++)
            connections[i] = new LoadConnection(run, i, sockets[i], new LoadRequests(spec, terminal, cards, seed: Environment.TickCount ^ (i * 7919)), recorders[i / ConnectionsPerRecorder]);
        try
        {
            return await DriveAsync(run, phase, connections, recorders, progress, ct).ConfigureAwait(false);
        }
        finally
        {
            foreach (var c in connections)
            {
                c.Close();
                c.Dispose();
            }
        }
    }

    private static async Task<LoadReport> DriveAsync(LoadRun run, string phase, LoadConnection[] connections, LatencyRecorder[] recorders, IProgress<LoadProgress>? progress, CancellationToken ct)
    {
        var readers = connections.Select(c => Task.Run(c.ReadLoopAsync, CancellationToken.None)).ToArray();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        run.Start();
        stop.CancelAfter(run.Options.Duration);
        using var background = new CancellationTokenSource();
        var sweeper = SweepAsync(connections, background.Token);
        var reporter = ReportProgressAsync(run, phase, connections, recorders, progress, background.Token);
        var senders = connections.Select(c => Task.Run(() => c.SendLoopAsync(stop.Token), CancellationToken.None)).ToArray();
        long unsent = await AwaitSendersAsync(run, connections, senders).ConfigureAwait(false);
        long sendEnd = Stopwatch.GetTimestamp();
        await DrainAsync(run, connections).ConfigureAwait(false);
        background.Cancel();
        await Task.WhenAll(sweeper, reporter).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var c in connections) c.Close();
        await Task.WhenAll(readers).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var total = LatencyRecorder.NewHistogram();
        foreach (var r in recorders) r.AddTotal(total);
        return LoadReport.Build(run, connections, total, unsent, Stopwatch.GetElapsedTime(run.StartTicks, sendEnd).TotalSeconds);
    }

    /// <summary>Waits for the senders; one blocked on a peer that stopped reading is ended by closing its connections.</summary>
    private static async Task<long> AwaitSendersAsync(LoadRun run, LoadConnection[] connections, Task<long>[] senders)
    {
        var all = Task.WhenAll(senders);
        var grace = run.Options.Duration + TimeSpan.FromMilliseconds(run.Options.TimeoutMs) + TimeSpan.FromSeconds(1);
        try
        {
            await all.WaitAsync(grace, CancellationToken.None).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            run.NoteError("a send did not complete (the target stopped reading)");
            foreach (var c in connections) c.Close();
            await ((Task)all).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        return senders.Where(s => s.IsCompletedSuccessfully).Sum(s => s.Result);
    }

    /// <summary>Waits until nothing is in flight, or the answer timeout has passed since sending stopped (the sweeper has then expired everything).</summary>
    private static async Task DrainAsync(LoadRun run, LoadConnection[] connections)
    {
        long limit = Stopwatch.GetTimestamp() + run.TimeoutTicks + Stopwatch.Frequency / 5;
        while (connections.Any(c => c.InFlight > 0) && Stopwatch.GetTimestamp() < limit)
        {
            await Task.Delay(5, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static async Task SweepAsync(LoadConnection[] connections, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(20, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            long now = Stopwatch.GetTimestamp();
            foreach (var c in connections) c.Sweep(now);
        }
    }

    private static async Task ReportProgressAsync(LoadRun run, string phase, LoadConnection[] connections, LatencyRecorder[] recorders, IProgress<LoadProgress>? progress, CancellationToken ct)
    {
        var interval = LatencyRecorder.NewHistogram();
        long lastAnswered = 0;
        long lastTicks = run.StartTicks;
        bool last = false;
        while (!last)
        {
            try
            {
                await Task.Delay(1000, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                last = true; // the run is over: one more line with the final totals
            }
            interval.Reset();
            foreach (var r in recorders) r.DrainInterval(interval);
            long now = Stopwatch.GetTimestamp();
            long answered = connections.Sum(c => c.Answered);
            double seconds = Math.Max(1e-3, (double)(now - lastTicks) / Stopwatch.Frequency);
            double p99 = interval.TotalCount == 0 ? 0 : interval.GetValueAtPercentile(99) / 1000.0;
            progress?.Report(new LoadProgress(phase, Stopwatch.GetElapsedTime(run.StartTicks, now).TotalSeconds, connections.Sum(c => c.Sent), answered,
                connections.Sum(c => c.Errors), connections.Sum(c => c.Timeouts), (answered - lastAnswered) / seconds, p99, connections.Sum(c => (long)c.InFlight)));
            lastAnswered = answered;
            lastTicks = now;
        }
    }

    /// <summary>Connects every connection within the connect timeout, or throws <see cref="LoadTargetException"/> (closing those already up).</summary>
    private static async Task<Socket[]> ConnectAllAsync(LoadOptions options, CancellationToken ct)
    {
        var tasks = Enumerable.Range(0, options.Connections).Select(_ => ConnectAsync(options, ct)).ToArray();
        // Every attempt ends (each is bounded by the connect timeout) before a failure is reported, so none leaks a socket.
        await ((Task)Task.WhenAll(tasks)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var failure = tasks.Select(t => t.Exception?.InnerException).FirstOrDefault(e => e is SocketException or TimeoutException);
        if (failure is not null)
        {
            foreach (var t in tasks.Where(t => t.IsCompletedSuccessfully)) t.Result.Dispose();
            throw new LoadTargetException($"cannot connect to {options.Target}: {failure.Message}", failure);
        }
        return await Task.WhenAll(tasks).ConfigureAwait(false); // all connected (a cancellation is rethrown as it is)
    }

    private static async Task<Socket> ConnectAsync(LoadOptions options, CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(options.ConnectTimeoutMs);
        try
        {
            await socket.ConnectAsync(options.Host, options.Port, deadline.Token).ConfigureAwait(false);
            return socket;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            socket.Dispose();
            throw new TimeoutException($"no connection within {options.ConnectTimeoutMs} ms");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>
/// What the connections of one run share: the options, the wire, the clock, the open loop's schedule, the STANs and
/// the error messages.
/// </summary>
/// <remarks>
/// STANs: one counter for the run's terminal, 1 to 999999 then around. The switch's duplicate key is DE 7 (to the
/// second) + DE 11 + DE 41 (+ DE 32), so a STAN can only repeat after 999,999 requests, and below 999,999 requests a
/// second it repeats under a different DE 7: at 50,000/s the counter comes around every 20 s, never within one second.
/// Within a connection the in-flight table is keyed by STAN, which is unique for the same reason.
/// </remarks>
internal sealed class LoadRun(LoadOptions options, MessageSpec spec, FrameFormat format)
{
    private const int ErrorKindsMax = 16;
    private readonly int _stanFirst = options.StanStart ?? Random.Shared.Next(1, 999_999);
    private readonly ConcurrentDictionary<string, long> _errors = new(StringComparer.Ordinal);
    private long _stans;

    public LoadOptions Options { get; } = options;
    public MessageSpec Spec { get; } = spec;
    public FrameFormat Format { get; } = format;
    public byte[] Header { get; } = options.Header == "tpdu" ? Convert.FromHexString("6000010000") : [];
    public long TimeoutTicks { get; } = options.TimeoutMs * Stopwatch.Frequency / 1000;
    public long StartTicks { get; private set; }
    public long StopTicks { get; private set; }

    /// <summary>Open loop: all arrivals of the run (duration × rate).</summary>
    private long Arrivals => (long)Math.Ceiling(Options.Duration.TotalSeconds * Options.Tps);

    public IReadOnlyDictionary<string, long> ErrorKinds => _errors;

    public void Start()
    {
        StartTicks = Stopwatch.GetTimestamp();
        StopTicks = StartTicks + (long)(Options.Duration.TotalSeconds * Stopwatch.Frequency);
    }

    /// <summary>The next STAN, 1 to 999999.</summary>
    public int NextStan() => (int)((_stanFirst - 1 + Interlocked.Increment(ref _stans) - 1) % 999_999) + 1;

    /// <summary>Open loop: when the <paramref name="k"/>-th request of connection <paramref name="index"/> is due (arrival k × C + index).</summary>
    public long IntendedTicks(int index, long k) => StartTicks + (long)((k * Options.Connections + index) * (double)Stopwatch.Frequency / Options.Tps);

    /// <summary>Open loop: how many of connection <paramref name="index"/>'s requests are due at <paramref name="nowTicks"/>.</summary>
    public long DueCount(int index, long nowTicks)
    {
        long global = (long)Math.Floor((nowTicks - StartTicks) * (double)Options.Tps / Stopwatch.Frequency);
        long due = global < index ? 0 : (global - index) / Options.Connections + 1;
        return Math.Min(due, TotalFor(index));
    }

    /// <summary>Open loop: connection <paramref name="index"/>'s share of the run's arrivals.</summary>
    public long TotalFor(int index) => Arrivals <= index ? 0 : (Arrivals - 1 - index) / Options.Connections + 1;

    /// <summary>Sleeps until <paramref name="ticks"/> (at least the timer's granularity, about a millisecond).</summary>
    public async Task WaitUntilAsync(long ticks, CancellationToken ct)
    {
        long wait = ticks - Stopwatch.GetTimestamp();
        if (wait <= 0) return;
        int ms = (int)Math.Clamp(wait * 1000 / Stopwatch.Frequency, 1, 100);
        await Task.Delay(ms, ct).ConfigureAwait(false);
    }

    /// <summary>Counts an error by its message (at most 16 distinct messages; the rest are "other").</summary>
    public void NoteError(string message)
    {
        string key = _errors.Count < ErrorKindsMax || _errors.ContainsKey(message) ? message : "other";
        _errors.AddOrUpdate(key, 1, (_, n) => n + 1);
    }
}

using Switch.Common.Configuration;
using Switch.Iso8583.Vocabulary;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using HdrHistogram;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;
using Switch.Network.Acceptor;
using Switch.Network.Config;
using Switch.Network.Connector;
using Switch.Network.Management;

namespace Switch.Benchmarks;

/// <summary>
/// Loopback benchmark of the network layer: N connections x K requests in flight of a 0200/0210 pair
/// through framer + codec + MUX (connector to acceptor), side by side with a raw socket echo of the
/// same frames under the same load shape. A plain timed harness (not BenchmarkDotNet): the quantity
/// is throughput and latency of a running system, not the cost of one call.
/// Usage: network [--seconds S] [--warmup S] [--rounds R] [--shapes 1x1,64x1,64x16] [--only raw|switch] [--token]
/// (--token: the switch path's callers pass a cancellable token to SendAsync, as the pipeline will)
/// </summary>
public static class NetworkBench
{
    private static readonly MessageSpec Spec = SpecCatalog.BuiltIn("iso8583-1987-binary");

    /// <summary>Runs every shape on both paths and prints a table.</summary>
    public static int Run(string[] args)
    {
        double seconds = Arg(args, "--seconds", 5);
        double warmup = Arg(args, "--warmup", 2);
        string? only = ArgText(args, "--only");
        PassToken = args.Contains("--token");
        int rounds = (int)Arg(args, "--rounds", 1);
        var shapes = (ArgText(args, "--shapes") ?? "1x1,64x1,64x16").Split(',')
            .Select(s => s.Split('x')).Select(p => (N: int.Parse(p[0], CultureInfo.InvariantCulture), K: int.Parse(p[1], CultureInfo.InvariantCulture))).ToArray();
        Console.WriteLine($"# inline socket completions: {Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") ?? "unset"}; token: {PassToken}; cores: {Environment.ProcessorCount}; {seconds}s per run after {warmup}s warm-up; median of {rounds} rounds");
        Console.WriteLine("| shape (N x K) | path | round trips/s | p50 us | p99 us | CPU us/rt | alloc B/rt | switch/raw |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (var (n, k) in shapes)
        {
            // Rounds alternate the two paths so both see the same machine; the median round is reported.
            var raws = new List<Result>();
            var sws = new List<Result>();
            for (int r = 0; r < rounds; r++)
            {
                if (only is null or "raw") raws.Add(RawEcho.RunAsync(n, k, warmup, seconds).GetAwaiter().GetResult());
                if (only is null or "switch") sws.Add(SwitchPath.RunAsync(n, k, warmup, seconds).GetAwaiter().GetResult());
            }
            var raw = Median(raws);
            var sw = Median(sws);
            if (raw is not null) Console.WriteLine($"| {n}x{k} | raw echo | {raw.Rate:F0} | {raw.P50Us} | {raw.P99Us} | {raw.CpuUsPerRoundTrip:F2} | {raw.AllocatedBytesPerRoundTrip} | |");
            if (sw is not null) Console.WriteLine($"| {n}x{k} | switch | {sw.Rate:F0} | {sw.P50Us} | {sw.P99Us} | {sw.CpuUsPerRoundTrip:F2} | {sw.AllocatedBytesPerRoundTrip} | {(raw is null ? "" : (sw.Rate / raw.Rate).ToString("P0", CultureInfo.InvariantCulture))} |");
        }
        return 0;
    }

    /// <summary>True when the switch path's callers pass a cancellable token (the stop token) to SendAsync.</summary>
    internal static bool PassToken { get; private set; }

    private static Result? Median(List<Result> results) =>
        results.Count == 0 ? null : results.OrderBy(r => r.Rate).ElementAt(results.Count / 2);

    private static double Arg(string[] args, string name, double fallback) =>
        ArgText(args, name) is { } text ? double.Parse(text, CultureInfo.InvariantCulture) : fallback;

    private static string? ArgText(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    internal static IsoMessage Request(int worker, int stan) =>
        Spec.NewMessage("0200").Set(2, "4111111111111111").Set(3, "000000").Set(4, "000000001000").Set(7, "1125084500")
            .Set(11, (stan % 999_999 + 1).ToString("D6", CultureInfo.InvariantCulture)).Set(41, $"W{worker:D7}").Set(49, "978");

    internal static byte[] Frame(byte[] message)
    {
        var frame = new byte[message.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(frame, (ushort)message.Length);
        message.CopyTo(frame, 2);
        return frame;
    }

    /// <summary>One measurement; CPU and allocation per round trip are steadier than the rate on a shared machine.</summary>
    internal sealed record Result(double Rate, long P50Us, long P99Us, double CpuUsPerRoundTrip = 0, long AllocatedBytesPerRoundTrip = 0);

    /// <summary>
    /// Collects latencies in one histogram per thread (HdrHistogram is single-writer) and merges them at the
    /// end. Per thread rather than per worker: a thousand histograms (64x16 workers) would thrash the
    /// cache and charge the measured path for the harness.
    /// </summary>
    internal sealed class Recorder : IDisposable
    {
        private sealed class Slot
        {
            public readonly LongHistogram Histogram = new(TimeStamp.Seconds(30), 3);
            public long Count;
        }

        private readonly ThreadLocal<Slot> _slots = new(() => new Slot(), trackAllValues: true);
        private volatile bool _measuring;

        public bool Measuring
        {
            get => _measuring;
            set => _measuring = value;
        }

        public void Record(long startTimestamp)
        {
            if (!_measuring) return;
            var slot = _slots.Value!;
            slot.Histogram.RecordValue(Stopwatch.GetTimestamp() - startTimestamp);
            slot.Count++;
        }

        /// <summary>Call after every worker stopped (the per-thread slots are read without locks).</summary>
        public Result Summarize(double seconds, TimeSpan cpu, long allocatedBytes)
        {
            var all = new LongHistogram(TimeStamp.Seconds(30), 3);
            long count = 0;
            foreach (var slot in _slots.Values)
            {
                all.Add(slot.Histogram);
                count += slot.Count;
            }
            count = Math.Max(1, count);
            double usPerTick = 1_000_000.0 / Stopwatch.Frequency;
            return new Result(count / seconds, (long)(all.GetValueAtPercentile(50) * usPerTick), (long)(all.GetValueAtPercentile(99) * usPerTick),
                cpu.TotalMicroseconds / count, allocatedBytes / count);
        }

        public void Dispose() => _slots.Dispose();
    }

    internal static async Task<Result> MeasureAsync(Recorder recorder, double warmup, double seconds, CancellationTokenSource stop, Task[] workers)
    {
        await Task.Delay(TimeSpan.FromSeconds(warmup)).ConfigureAwait(false);
        using var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        long allocatedBefore = GC.GetTotalAllocatedBytes();
        recorder.Measuring = true;
        var watch = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(seconds)).ConfigureAwait(false);
        recorder.Measuring = false;
        double elapsed = watch.Elapsed.TotalSeconds;
        process.Refresh();
        var cpu = process.TotalProcessorTime - cpuBefore;
        long allocated = GC.GetTotalAllocatedBytes() - allocatedBefore;
        stop.Cancel();
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return recorder.Summarize(elapsed, cpu, allocated);
    }
}

/// <summary>The ceiling: a socket echo server and clients that pipeline K frames per connection.</summary>
internal static class RawEcho
{
    public static async Task<NetworkBench.Result> RunAsync(int connections, int inFlight, double warmup, double seconds)
    {
        using var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        server.Listen(1024);
        using var stop = new CancellationTokenSource();
        var accepting = AcceptAsync(server, stop.Token);
        var frame = NetworkBench.Frame(Spec().Encode(NetworkBench.Request(0, 1)));
        using var recorder = new NetworkBench.Recorder();
        var workers = new Task[connections];
        for (int c = 0; c < connections; c++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(server.LocalEndPoint!).ConfigureAwait(false);
            workers[c] = ClientAsync(socket, c, inFlight, frame, recorder, stop.Token);
        }
        var result = await NetworkBench.MeasureAsync(recorder, warmup, seconds, stop, workers).ConfigureAwait(false);
        server.Close();
        await accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return result;
    }

    private static MessageSpec Spec() => SpecCatalog.BuiltIn("iso8583-1987-binary");

    private static async Task AcceptAsync(Socket server, CancellationToken ct)
    {
        var echoes = new List<Task>();
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var s = await server.AcceptAsync(ct).ConfigureAwait(false);
                s.NoDelay = true;
                echoes.Add(EchoAsync(s, ct));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopping.
        }
        await Task.WhenAll(echoes).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>A plain .NET echo: whatever arrives is sent back (frames are echoed whole because bytes are).</summary>
    private static async Task EchoAsync(Socket socket, CancellationToken ct)
    {
        using (socket)
        {
            var buffer = new byte[16 * 1024];
            try
            {
                while (true)
                {
                    int n = await socket.ReceiveAsync(buffer, SocketFlags.None, ct).ConfigureAwait(false);
                    if (n == 0) return;
                    await socket.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, ct).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException)
            {
                // Stopping.
            }
        }
    }

    /// <summary>Keeps K frames in flight: sends K, then one more for each frame that comes back.</summary>
    private static async Task ClientAsync(Socket socket, int worker, int inFlight, byte[] frame, NetworkBench.Recorder recorder, CancellationToken ct)
    {
        using (socket)
        {
            var sentAt = new Queue<long>(inFlight);
            var burst = Enumerable.Repeat(frame, inFlight).SelectMany(f => f).ToArray();
            for (int i = 0; i < inFlight; i++) sentAt.Enqueue(Stopwatch.GetTimestamp());
            var buffer = new byte[64 * 1024];
            int buffered = 0;
            try
            {
                await socket.SendAsync(burst, SocketFlags.None, ct).ConfigureAwait(false);
                while (true)
                {
                    int n = await socket.ReceiveAsync(buffer.AsMemory(buffered), SocketFlags.None, ct).ConfigureAwait(false);
                    if (n == 0) return;
                    buffered += n;
                    int frames = buffered / frame.Length;
                    int rest = buffered % frame.Length;
                    for (int i = 0; i < frames; i++) recorder.Record(sentAt.Dequeue());
                    Buffer.BlockCopy(buffer, frames * frame.Length, buffer, 0, rest);
                    buffered = rest;
                    if (frames == 0) continue;
                    for (int i = 0; i < frames; i++) sentAt.Enqueue(Stopwatch.GetTimestamp());
                    await socket.SendAsync(burst.AsMemory(0, frames * frame.Length), SocketFlags.None, ct).ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException)
            {
                // Stopping.
            }
        }
    }
}

/// <summary>The measured path: connector (framer + codec + MUX) to an acceptor (framer + codec + handler) and back.</summary>
internal static class SwitchPath
{
    /// <summary>One registry for the listener and the connector, as the host builds one.</summary>
    private static readonly SpecRegistry Specs = new();

    public static async Task<NetworkBench.Result> RunAsync(int connections, int inFlight, double warmup, double seconds)
    {
        Serilog.Log.Logger = Serilog.Core.Logger.None;
        var listenerOptions = new ListenerOptions
        {
            Name = "bench",
            Port = 0,
            Limits = new LimitOptions { InFlightPerConnectionMax = Math.Max(64, inFlight * 2) },
        };
        await using var listener = new IsoListener(listenerOptions, Specs, new ApproveHandler());
        listener.Start();
        var connectorOptions = new ConnectorOptions
        {
            Name = "bench-issuer",
            Endpoints = [$"127.0.0.1:{listener.LocalEndPoint.Port}"],
            ConnectionsPerEndpoint = connections,
            NetworkManagement = new NetworkManagementOptions { EchoIntervalMs = 0 },
            Mux = new MuxOptions { PendingMax = Math.Max(1000, connections * inFlight * 2) },
        };
        var network = new NetworkConfig { Listeners = [listenerOptions], Connectors = [connectorOptions] };
        network.Validate(new ConfigSection("benchmark", "network", default), Specs);
        await using var connector = new IsoConnector(connectorOptions, Specs);
        connector.Start();
        while (connector.Health != EndpointHealth.SignedOn) await Task.Delay(10).ConfigureAwait(false);
        int workers = connections * inFlight;
        using var recorder = new NetworkBench.Recorder();
        using var stop = new CancellationTokenSource();
        var tasks = Enumerable.Range(0, workers).Select(w => Task.Run(() => WorkerAsync(connector, w, recorder, stop.Token))).ToArray();
        return await NetworkBench.MeasureAsync(recorder, warmup, seconds, stop, tasks).ConfigureAwait(false);
    }

    private static async Task WorkerAsync(IsoConnector connector, int worker, NetworkBench.Recorder recorder, CancellationToken ct)
    {
        int stan = 0;
        // One message per worker with a new STAN per request, as the raw path resends prebuilt frames: the
        // figure is the network layer's, not the cost of building a message. SendAsync encodes before it
        // returns, so the message can be changed for the next request.
        var request = NetworkBench.Request(worker, stan);
        while (!ct.IsCancellationRequested)
        {
            request.Set(11, (++stan % 999_999 + 1).ToString("D6", CultureInfo.InvariantCulture));
            long start = Stopwatch.GetTimestamp();
            var result = await connector.SendAsync(request, null, NetworkBench.PassToken ? ct : CancellationToken.None).ConfigureAwait(false);
            if (!result.IsAnswered) throw new InvalidOperationException($"benchmark request failed: {result.Status} {result.Error}");
            recorder.Record(start);
        }
    }

    private sealed class ApproveHandler : IMessageHandler
    {
        public ValueTask<IsoMessage?> HandleAsync(IsoMessage request, SessionContext session, CancellationToken ct) =>
            ValueTask.FromResult<IsoMessage?>(MessageTypes.Respond(request, ResponseCode.Approved));
    }
}

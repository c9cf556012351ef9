using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using HdrHistogram;
using Switch.Core;
using Switch.Core.Authorization;
using Switch.Core.Hosting;
using Switch.Core.MasterData;
using Switch.Core.MasterData.Postgres;
using Switch.Core.Pipeline;
using Switch.Core.Time;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;
using Switch.Journal;
using Switch.Journal.Pan;
using Switch.Network.Acceptor;
using Switch.Network.Config;
using Switch.Routing;
using Switch.Security.Backends;
using Switch.Security.Backends.Software;
using Switch.Security.Keys;

namespace Switch.Benchmarks;

/// <summary>
/// On-us 0200 with PIN and MAC over TCP on loopback (Stopwatch harness): N connections, each keeping K requests in
/// flight (closed loop) or all of them sending R requests/s between them (open loop, <c>--tps</c>), alternated round by
/// round with a raw echo server answering the same frames on the same load shape. The switch is either built in this
/// process (the real <c>IsoListener</c> in front of the real pipeline of <c>CorePipeline.Create</c>, journal durable
/// before each answer) or a running <c>switch run</c> (<c>--target host:port</c>, seeded with <c>db seed demo --cards N</c>).
/// Usage: tcp [--seconds S] [--warmup S] [--rounds R] [--shapes 64x16,256x4] [--tps R] [--accounts N]
/// [--target host:port] [--watch-pid PID,...] [--spool DIR] [--no-fsync] [--only switch|echo] [--rate-max R]
/// (closed loop: requests are prepared for R/s, default 60,000; a round that runs out says so)
/// </summary>
public static class TcpBench
{
    private static readonly MessageSpec Spec = SpecCatalog.BuiltIn("iso8583-1987-binary");

    private sealed record Options(double Seconds, double Warmup, int Rounds, (int N, int K)[] Shapes, double Tps, int Accounts,
        string? Target, int[] WatchPids, string? Spool, bool Fsync, string? Only, double RateMax);

    /// <summary>Runs the rounds and prints one table row per round.</summary>
    public static int Run(string[] args)
    {
        var shapes = (Text(args, "--shapes") ?? "64x16").Split(',').Select(s => s.Split('x'))
            .Select(p => (int.Parse(p[0], CultureInfo.InvariantCulture), int.Parse(p[1], CultureInfo.InvariantCulture))).ToArray();
        var watch = (Text(args, "--watch-pid") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray();
        var options = new Options(Number(args, "--seconds", 5), Number(args, "--warmup", 2), (int)Number(args, "--rounds", 1), shapes,
            Number(args, "--tps", 0), (int)Number(args, "--accounts", 1000), Text(args, "--target"), watch, Text(args, "--spool"),
            !args.Contains("--no-fsync"), Text(args, "--only"), Number(args, "--rate-max", 60_000));
        return RunAsync(options).GetAwaiter().GetResult();
    }

    private static double Number(string[] args, string name, double fallback) =>
        Text(args, name) is { } text ? double.Parse(text, CultureInfo.InvariantCulture) : fallback;

    private static string? Text(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static async Task<int> RunAsync(Options o)
    {
        Serilog.Log.Logger = Serilog.Core.Logger.None;
        await using var module = new ComposedSecurityModule(new SoftwareCipherEngine());
        var keys = new Dictionary<string, SecureKey>(StringComparer.Ordinal);
        foreach (var k in DemoDataSet.All.Keys)
            keys[k.Name] = await module.ImportClearKeyAsync(Enum.Parse<KeyType>(k.Type, true), KeyAlgorithm.Tdes, Convert.FromHexString(k.ClearHex), CancellationToken.None);
        using var protector = new PanProtector(new byte[32], new byte[32]);
        var (cards, snapshot) = await PipelineBench.CardsAsync(module, keys, protector, o.Accounts);
        string spool = o.Spool is null ? Directory.CreateTempSubdirectory("tcp-bench-").FullName : Directory.CreateDirectory(Path.Combine(o.Spool, $"tcp-bench-{Environment.ProcessId}")).FullName;
        var local = o.Target is null ? await LocalSwitch.StartAsync(module, keys, protector, snapshot, spool, o.Fsync, o.Shapes.Max(s => s.K)) : null;
        var target = local?.EndPoint ?? IPEndPoint.Parse(o.Target!);
        await using var echo = EchoServer.Start();
        Console.WriteLine($"# tcp: switch {(local is null ? "at " + o.Target : $"in process (spool {spool}, fsync {o.Fsync})")}, {o.Accounts} cards, {Environment.ProcessorCount} cores, "
            + $"{(o.Tps > 0 ? $"open loop {o.Tps:N0}/s" : "closed loop")}, {o.Warmup}+{o.Seconds} s a round, load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        Console.WriteLine("| shape | path | txn/s | p50 µs | p99 µs | p99.9 µs | µs CPU/txn here | watched CPU % | errors |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        int stanBase = 0;
        try
        {
            foreach (var (n, k) in o.Shapes)
            {
                for (int r = 0; r < o.Rounds; r++)
                {
                    foreach (bool isSwitch in new[] { false, true })
                    {
                        if (o.Only is not null && o.Only != (isSwitch ? "switch" : "echo")) continue;
                        // Enough distinct requests for the round at a generous rate: each one is sent once (duplicates would be answered as such).
                        // The echo does not mind repeats: it cycles through fewer.
                        int perConnection = isSwitch ? PerConnection(o, n) : Math.Min(PerConnection(o, n), 4 * k + 4096);
                        var frames = await FramesAsync(module, keys["demo-tak"], cards, n, perConnection, stanBase);
                        stanBase += n * perConnection;
                        var result = await RoundAsync(isSwitch ? target : echo.EndPoint, frames, k, o, isSwitch);
                        Console.WriteLine($"| {n}x{k} | {(isSwitch ? "switch" : "raw echo")} | {result.Rate:N0} | {result.P50} | {result.P99} | {result.P999} | {result.CpuUs:N1} | {result.Watched} | {result.Errors} |");
                    }
                }
            }
        }
        finally
        {
            if (local is not null) await local.DisposeAsync();
            TryDelete(spool);
        }
        return 0;
    }

    private static void TryDelete(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
            // Left for the OS's temp cleanup.
        }
    }

    /// <summary>Requests per connection for a round: open loop its share of the rate, closed loop up to <c>--rate-max</c> in all.</summary>
    private static int PerConnection(Options o, int connections)
    {
        double rate = o.Tps > 0 ? o.Tps * 1.05 : o.RateMax;
        return (int)Math.Min(999_000, rate * (o.Warmup + o.Seconds + 1) / connections + 64);
    }

    /// <summary>Framed requests (2-byte length), one array per connection; STAN = (base + index) mod 10^6, DE 7 moves per million.</summary>
    private static async Task<byte[][][]> FramesAsync(ComposedSecurityModule module, SecureKey tak, List<PipelineBench.Card> cards, int connections, int perConnection, int stanBase)
    {
        var frames = new byte[connections][][];
        await Parallel.ForAsync(0, connections, async (c, ct) =>
        {
            var mine = frames[c] = new byte[perConnection][];
            for (int j = 0; j < perConnection; j++)
            {
                int n = stanBase + c * perConnection + j;
                var message = await PipelineBench.RequestAsync(Spec, module, tak, cards[n % cards.Count], secured: true, n);
                var frame = new byte[message.Length + 2];
                BinaryPrimitives.WriteUInt16BigEndian(frame, (ushort)message.Length);
                message.CopyTo(frame, 2);
                mine[j] = frame;
            }
        });
        return frames;
    }

    private sealed record Result(double Rate, long P50, long P99, long P999, double CpuUs, string Watched, long Errors);

    private static async Task<Result> RoundAsync(IPEndPoint target, byte[][][] frames, int inFlight, Options o, bool isSwitch)
    {
        var clients = new Client[frames.Length];
        for (int c = 0; c < clients.Length; c++) clients[c] = await Client.ConnectAsync(target, frames[c], isSwitch);
        using var stop = new CancellationTokenSource();
        var receivers = clients.Select(c => Task.Run(() => c.ReceiveAsync(o.Tps > 0 ? 0 : inFlight, stop.Token))).ToArray();
        Thread? pacer = null;
        if (o.Tps > 0)
        {
            pacer = new Thread(() => Pace(clients, o.Tps, stop.Token)) { IsBackground = true, Name = "tcp-bench pacer" };
            pacer.Start();
        }
        else foreach (var c in clients) c.SendBurst(inFlight);
        // On stderr, so that a profiler can be attached to the round itself (after the requests are prepared).
        Console.Error.WriteLine($"  round started: {(isSwitch ? "switch" : "echo")}, {frames.Length} connections");
        await Task.Delay(TimeSpan.FromSeconds(o.Warmup));
        var cpu = new CpuSampler(o.WatchPids);
        foreach (var c in clients) c.Measuring = true;
        var watch = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(o.Seconds));
        foreach (var c in clients) c.Measuring = false;
        double elapsed = watch.Elapsed.TotalSeconds;
        var (here, watched) = cpu.Read();
        stop.Cancel();
        pacer?.Join();
        foreach (var c in clients) c.Close();
        await Task.WhenAll(receivers).WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var all = new LongHistogram(TimeStamp.Seconds(60), 3);
        long done = 0, errors = 0, ranOut = 0;
        foreach (var c in clients)
        {
            all.Add(c.Histogram);
            done += c.Measured;
            errors += c.Errors;
            ranOut += c.RanOut ? 1 : 0;
        }
        if (ranOut > 0) Console.WriteLine($"  warning: {ranOut} connections ran out of prepared requests (the rate is then too low)");
        done = Math.Max(done, 1);
        double usPerTick = 1_000_000.0 / Stopwatch.Frequency;
        long P(double q) => all.TotalCount == 0 ? -1 : (long)(all.GetValueAtPercentile(q) * usPerTick);
        return new Result(done / elapsed, P(50), P(99), P(99.9), here.TotalMicroseconds / done,
            string.Join(" / ", watched.Select(w => (w.TotalSeconds / elapsed * 100).ToString("F0", CultureInfo.InvariantCulture))), errors);
    }

    /// <summary>Open loop: every millisecond each connection is sent what its share of the rate says is due by now.</summary>
    private static void Pace(Client[] clients, double tps, CancellationToken ct)
    {
        double perConnectionPerTick = tps / clients.Length / Stopwatch.Frequency;
        long start = Stopwatch.GetTimestamp();
        while (!ct.IsCancellationRequested)
        {
            long now = Stopwatch.GetTimestamp();
            foreach (var c in clients) c.SendDue((long)((now - start) * perConnectionPerTick), start, 1 / perConnectionPerTick);
            Thread.Sleep(1);
        }
    }

    /// <summary>One connection: prepared frames sent in order, answers matched by DE 11, latency into its own histogram.</summary>
    private sealed class Client
    {
        private readonly Socket _socket;
        private readonly byte[][] _frames;
        private readonly long[] _sentAt;
        private readonly bool _checkAnswer;

        /// <summary>The echo path reuses frames in a ring (the switch would answer a repeat as a duplicate).</summary>
        private readonly bool _cycle;
        private readonly int _stanBase;
        private readonly byte[] _sendBuffer = new byte[256 * 1024];
        private readonly IsoMessage _answer = new(Spec);
        private int _next;
        private volatile bool _measuring;

        private Client(Socket socket, byte[][] frames, bool checkAnswer)
        {
            _socket = socket;
            _frames = frames;
            _sentAt = new long[frames.Length];
            _checkAnswer = checkAnswer;
            _cycle = !checkAnswer;
            _stanBase = StanOf(frames[0].AsMemory(2));
        }

        public LongHistogram Histogram { get; } = new(TimeStamp.Seconds(60), 3);

        public long Measured { get; private set; }

        public long Errors { get; private set; }

        public bool RanOut { get; private set; }

        public bool Measuring
        {
            set => _measuring = value;
        }

        public static async Task<Client> ConnectAsync(IPEndPoint target, byte[][] frames, bool checkAnswer)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await socket.ConnectAsync(target);
            return new Client(socket, frames, checkAnswer);
        }

        private int StanOf(ReadOnlyMemory<byte> message)
        {
            Spec.Decode(message, _answer, DecodeMode.Index);
            return _answer.TryGetInt64(11, out long stan) ? (int)stan : -1;
        }

        /// <summary>Closed loop: sends the next <paramref name="count"/> frames in one send.</summary>
        public void SendBurst(int count)
        {
            long now = Stopwatch.GetTimestamp();
            int bytes = 0;
            for (int i = 0; i < count && (_cycle || _next < _frames.Length); i++)
            {
                var frame = _frames[_next % _frames.Length];
                if (bytes + frame.Length > _sendBuffer.Length) break;
                _sentAt[_next++ % _frames.Length] = now;
                frame.CopyTo(_sendBuffer, bytes);
                bytes += frame.Length;
            }
            if (!_cycle && _next == _frames.Length) RanOut = true;
            Send(bytes);
        }

        /// <summary>Open loop: sends every frame due by <paramref name="due"/>, each stamped with its intended time.</summary>
        public void SendDue(long due, long start, double ticksPerFrame)
        {
            int bytes = 0;
            while (_next < due && (_cycle || _next < _frames.Length) && bytes + 512 <= _sendBuffer.Length)
            {
                var frame = _frames[_next % _frames.Length];
                _sentAt[_next % _frames.Length] = start + (long)(_next * ticksPerFrame);
                _next++;
                frame.CopyTo(_sendBuffer, bytes);
                bytes += frame.Length;
            }
            if (!_cycle && _next == _frames.Length) RanOut = true;
            Send(bytes);
        }

        private void Send(int bytes)
        {
            try
            {
                for (int sent = 0; sent < bytes;) sent += _socket.Send(_sendBuffer, sent, bytes - sent, SocketFlags.None);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                // Closing.
            }
        }

        /// <summary>Reads answers; in closed loop (<paramref name="refill"/> &gt; 0) sends one new request per answer.</summary>
        public async Task ReceiveAsync(int refill, CancellationToken ct)
        {
            var buffer = new byte[128 * 1024];
            int filled = 0;
            try
            {
                while (!ct.IsCancellationRequested)
                {
                    int n = await _socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, ct);
                    if (n == 0) return;
                    filled += n;
                    int at = 0, answers = 0;
                    long now = Stopwatch.GetTimestamp();
                    while (filled - at >= 2)
                    {
                        int length = BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(at));
                        if (filled - at < 2 + length) break;
                        Answer(buffer.AsMemory(at + 2, length), now);
                        at += 2 + length;
                        answers++;
                    }
                    buffer.AsSpan(at, filled - at).CopyTo(buffer);
                    filled -= at;
                    if (refill > 0 && answers > 0) SendBurst(answers);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // Stopping.
            }
        }

        private void Answer(ReadOnlyMemory<byte> message, long now)
        {
            int stan = StanOf(message);
            int index = (stan - _stanBase + 1_000_000) % 1_000_000;
            bool ok = stan >= 0 && index < _frames.Length;
            if (ok && _checkAnswer) ok = _answer.GetWire(39).Span is [(byte)'0', (byte)'0'];
            if (!_measuring) return;
            if (!ok)
            {
                Errors++;
                return;
            }
            Histogram.RecordValue(Math.Max(0, now - _sentAt[index]));
            Measured++;
        }

        public void Close() => _socket.Dispose();
    }

    /// <summary>CPU time of this process and of the watched processes (e.g. the switch, Postgres) between construction and <see cref="Read"/>.</summary>
    private sealed class CpuSampler
    {
        private readonly int[] _pids;
        private readonly TimeSpan _here = Process.GetCurrentProcess().TotalProcessorTime;
        private readonly TimeSpan[] _watched;

        public CpuSampler(int[] pids)
        {
            _pids = pids;
            _watched = pids.Select(ProcessCpu).ToArray();
        }

        public (TimeSpan Here, TimeSpan[] Watched) Read() =>
            (Process.GetCurrentProcess().TotalProcessorTime - _here, _pids.Select((p, i) => ProcessCpu(p) - _watched[i]).ToArray());

        /// <summary>utime + stime of a process and its reaped children from /proc (clock ticks of 10 ms); zero when it is gone.</summary>
        private static TimeSpan ProcessCpu(int pid)
        {
            try
            {
                string stat = File.ReadAllText($"/proc/{pid}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                long ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                return TimeSpan.FromMilliseconds(ticks * 10);
            }
            catch (IOException)
            {
                return TimeSpan.Zero;
            }
        }
    }

    /// <summary>A plain .NET echo: the ceiling the switch is compared with (same frames, same connections).</summary>
    private sealed class EchoServer : IAsyncDisposable
    {
        private readonly Socket _server = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        private readonly CancellationTokenSource _stop = new();
        private Task _accepting = Task.CompletedTask;

        public IPEndPoint EndPoint => (IPEndPoint)_server.LocalEndPoint!;

        public static EchoServer Start()
        {
            var echo = new EchoServer();
            echo._server.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            echo._server.Listen(1024);
            echo._accepting = echo.AcceptAsync();
            return echo;
        }

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    var socket = await _server.AcceptAsync(_stop.Token);
                    socket.NoDelay = true;
                    _ = EchoAsync(socket);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // Stopping.
            }
        }

        private async Task EchoAsync(Socket socket)
        {
            using (socket)
            {
                var buffer = new byte[64 * 1024];
                try
                {
                    while (true)
                    {
                        int n = await socket.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                        if (n == 0) return;
                        await socket.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, _stop.Token);
                    }
                }
                catch (Exception ex) when (ex is OperationCanceledException or SocketException)
                {
                    // Peer gone or stopping.
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            _server.Dispose();
            await _accepting;
        }
    }

    /// <summary>The switch in this process: the real listener in front of the real pipeline (journal durable before each answer).</summary>
    private sealed class LocalSwitch : IAsyncDisposable
    {
        private readonly IsoListener _listener;
        private readonly OnUsAuthorizer _authorizer;
        private readonly Journal.Journal _journal;

        private LocalSwitch(IsoListener listener, OnUsAuthorizer authorizer, Journal.Journal journal)
        {
            _listener = listener;
            _authorizer = authorizer;
            _journal = journal;
        }

        public IPEndPoint EndPoint => _listener.LocalEndPoint;

        public static Task<LocalSwitch> StartAsync(ComposedSecurityModule module, Dictionary<string, SecureKey> keys, PanProtector protector,
            MasterDataSnapshot snapshot, string spool, bool fsync, int inFlight)
        {
            var journal = Journal.Journal.Open(new JournalOptions { NodeId = 9, Spool = new SpoolOptions { Directory = spool, Fsync = fsync } }, Serilog.Core.Logger.None);
            var options = new CoreOptions();
            var authorizer = new OnUsAuthorizer(options, module, new PipelineBench.Ring(keys), SystemClock.Instance);
            var routes = new RouteTableHolder();
            routes.TryPublish(RouteTable.Build([RouteRules.Create("demo-on-us", DemoDataSet.All.OnUsBin, KnownDestinations.OnUs)], 1));
            var manager = CorePipeline.Create(new CoreServices
            {
                Options = options, NodeId = 9, MasterData = new MasterDataHolder(snapshot), Routes = routes, Security = module, Keys = new PipelineBench.Ring(keys),
                Pan = protector, OnUs = authorizer, Issuers = new PipelineBench.NoIssuers(), Journal = journal, Duplicates = new DuplicateMemory(options, SystemClock.Instance),
                Log = new Serilog.LoggerConfiguration().WriteTo.Sink(new PipelineBench.ConsoleSink()).CreateLogger(),
            });
            var listenerOptions = new ListenerOptions
            {
                Name = "terminals",
                Port = 0,
                Limits = new LimitOptions { InFlightPerConnectionMax = Math.Max(64, inFlight) },
            };
            var listener = new IsoListener(listenerOptions, new SpecRegistry(), manager);
            listener.Start();
            return Task.FromResult(new LocalSwitch(listener, authorizer, journal));
        }

        public async ValueTask DisposeAsync()
        {
            await _listener.DisposeAsync();
            await _authorizer.DisposeAsync();
            _journal.Dispose();
        }
    }
}

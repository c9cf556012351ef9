using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Switch.Simulators.Card;
using Switch.Simulators.Load;

namespace Switch.Simulators.Tests.Load;

/// <summary>Load runs against the framed echo and against test servers that stall or never answer, over loopback TCP.</summary>
public sealed class LoadEchoTests
{
    private static LoadOptions Closed(int port, double seconds = 2) => new()
    {
        Port = port, Mode = LoadMode.Closed, Connections = 4, InFlight = 8, Duration = TimeSpan.FromSeconds(seconds), TimeoutMs = 5000,
    };

    private static void AssertCountsAddUp(LoadReport r)
    {
        Assert.True(r.Sent > 0, "nothing was sent");
        Assert.Equal(r.Sent, r.Answered + r.Errors + r.Timeouts);
        Assert.Equal(r.Answered, r.HistogramCount);
        Assert.Equal(r.Answered, r.ResponseCodes.Values.Sum());
        Assert.Equal(r.Sent, r.SentByKind.Values.Sum());
    }

    [Fact]
    public async Task A_closed_loop_run_against_the_echo_answers_everything_and_the_counts_add_up()
    {
        await using var echo = new EchoServer();
        echo.Start();
        var r = await LoadRunner.RunAsync(Closed(echo.Port), null, Timeouts.Token());
        AssertCountsAddUp(r);
        Assert.Equal(0, r.Errors);
        Assert.Equal(0, r.Timeouts);
        Assert.Equal(r.Answered, r.ResponseCodes[LoadReport.NoResponseCode]); // the echo's answer is the request: no DE 39
        Assert.Equal(r.Sent, echo.FramesEchoed);
        Assert.True(r.SentByKind["reversal"] > 0, "echoed purchases are reversed like approved ones");
        Assert.True(r.P50Ms > 0 && r.P50Ms <= r.P90Ms && r.P90Ms <= r.P99Ms && r.P99Ms <= r.P999Ms && r.P999Ms <= r.MaxMs);
        Assert.Equal("closed", r.Mode);
        Assert.Null(r.Echo);
    }

    [Fact]
    public async Task An_open_loop_run_sends_at_the_rate_asked()
    {
        await using var echo = new EchoServer();
        echo.Start();
        var options = Closed(echo.Port) with { Mode = LoadMode.Open, Tps = 500, InFlight = 100 };
        var progress = new List<LoadProgress>();
        var r = await LoadRunner.RunAsync(options, new SyncProgress(progress), Timeouts.Token());
        AssertCountsAddUp(r);
        // 2 s at 500/s: exactly 1000 arrivals, all sent (the cap is far above what is in flight).
        Assert.Equal(1000, r.Sent + r.Unsent);
        Assert.Equal(0, r.Errors);
        Assert.Equal(500, r.TargetTps);
        Assert.NotEmpty(progress);
        Assert.All(progress, p => Assert.Equal("target", p.Phase));
    }

    [Fact]
    public async Task Compare_echo_runs_the_same_shape_against_an_in_process_echo_and_gives_the_ratios()
    {
        await using var target = new EchoServer();
        target.Start();
        var r = await LoadRunner.RunAsync(Closed(target.Port, 1) with { CompareEcho = true }, null, Timeouts.Token());
        AssertCountsAddUp(r);
        Assert.NotNull(r.Echo);
        AssertCountsAddUp(r.Echo);
        Assert.NotEqual(r.Target, r.Echo.Target);
        Assert.Equal(r.ThroughputPerSecond / r.Echo.ThroughputPerSecond, r.ThroughputRatio!.Value, 6);
        using var json = JsonDocument.Parse(r.ToJson());
        Assert.True(json.RootElement.GetProperty("ratio").GetProperty("throughput").GetDouble() > 0);
        Assert.Equal(r.Echo.Sent, json.RootElement.GetProperty("echo").GetProperty("sent").GetInt64());
        Assert.Contains("ratio", r.ToTable(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_verb_with_compare_echo_prints_both_columns_and_the_ratios()
    {
        await using var echo = new EchoServer();
        echo.Start();
        string json = Path.Combine(Path.GetTempPath(), $"load-{Guid.NewGuid():N}.json");
        try
        {
            var r = CliRunner.Run(["sim", "load", "--target", $"127.0.0.1:{echo.Port}", "--duration", "1", "--connections", "2", "--inflight", "4",
                "--mix", "purchase=100", "--compare-echo", "--json", json], timeoutMs: 60_000);
            Assert.True(r.ExitCode == 0, r.ToString());
            string header = r.Stdout.Split('\n')[0];
            Assert.Contains($"127.0.0.1:{echo.Port}", header, StringComparison.Ordinal);
            Assert.Contains("echo", header, StringComparison.Ordinal);
            Assert.Contains("ratio", header, StringComparison.Ordinal);
            Assert.Matches("throughput/s +[0-9.]+ +[0-9.]+ +[0-9]+\\.[0-9]{3}", r.Stdout);
            Assert.Contains("echo ", r.Stderr, StringComparison.Ordinal); // the echo phase's progress lines
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            var root = doc.RootElement;
            Assert.Equal(root.GetProperty("sent").GetInt64(), root.GetProperty("sentByKind").GetProperty("purchase").GetInt64());
            Assert.True(root.GetProperty("echo").GetProperty("answered").GetInt64() > 0);
            Assert.True(root.GetProperty("ratio").GetProperty("throughput").GetDouble() > 0);
        }
        finally
        {
            File.Delete(json);
        }
    }

    [Fact]
    public async Task The_reports_carry_the_fields_and_the_HTML_is_self_contained()
    {
        await using var echo = new EchoServer();
        echo.Start();
        var r = await LoadRunner.RunAsync(Closed(echo.Port, 1), null, Timeouts.Token());
        using var json = JsonDocument.Parse(r.ToJson());
        var root = json.RootElement;
        foreach (var field in new[] { "sent", "answered", "errors", "timeouts", "throughputPerSecond", "p50Ms", "p90Ms", "p99Ms", "p999Ms", "maxMs", "durationSeconds", "mode" })
            Assert.True(root.TryGetProperty(field, out _), $"no {field} in {r.ToJson()}");
        Assert.Equal(r.Answered, root.GetProperty("responseCodes").GetProperty("none").GetInt64());
        Assert.Equal(r.Sent, root.GetProperty("sent").GetInt64());
        string html = r.ToHtml();
        Assert.Contains("<svg", html, StringComparison.Ordinal);
        Assert.Contains("<polyline", html, StringComparison.Ordinal);
        Assert.DoesNotMatch(new Regex("(src|href)\\s*=|https?:|@import|url\\(", RegexOptions.IgnoreCase), html);
        Assert.Contains("throughput/s", r.ToTable(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_target_that_never_answers_gives_timeouts_and_the_run_still_ends()
    {
        using var silent = new TestServer(answer: false);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var r = await LoadRunner.RunAsync(Closed(silent.Port, 1) with { TimeoutMs = 500 }, null, Timeouts.Token());
        Assert.Equal(r.Sent, r.Timeouts);
        Assert.Equal(0, r.Answered);
        Assert.True(r.Sent >= 4 * 8, $"sent {r.Sent}"); // the closed loop's window, refilled only as requests time out
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(20), $"took {started.Elapsed}");
    }

    [Fact]
    public async Task A_target_that_closes_the_connection_turns_what_is_in_flight_into_errors()
    {
        using var closing = new TestServer(answer: false, closeAfterFrames: 3);
        var r = await LoadRunner.RunAsync(Closed(closing.Port, 1) with { Connections = 1 }, null, Timeouts.Token());
        Assert.Equal(r.Sent, r.Answered + r.Errors + r.Timeouts);
        Assert.True(r.Errors > 0);
        Assert.Contains(r.ErrorKinds.Keys, k => k.Contains("closed the connection", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Open_loop_latency_is_measured_from_the_intended_send_so_a_stall_shows_in_the_percentiles()
    {
        // One connection, one request in flight, 100/s for 3 s; the server stalls 1 s after its 50th frame. The
        // requests due during the stall cannot be sent (the cap is 1); when it ends they go at once and are answered
        // at once, so measured from the actual send they would all look fast. From the intended send they carry the
        // stall: about a third of the requests waited between 0 and 1000 ms.
        using var stalling = new TestServer(answer: true, stallAfterFrames: 50, stallMs: 1000);
        var options = new LoadOptions
        {
            Port = stalling.Port, Mode = LoadMode.Open, Tps = 100, Connections = 1, InFlight = 1, Duration = TimeSpan.FromSeconds(3), TimeoutMs = 5000,
        };
        var r = await LoadRunner.RunAsync(options, null, Timeouts.Token());
        AssertCountsAddUp(r);
        Assert.True(r.MaxMs >= 900, $"max {r.MaxMs} ms");
        Assert.True(r.P90Ms >= 300, $"p90 {r.P90Ms} ms");
        // Closed loop on the same stall: one request waits the second, the rest do not (no correction there).
        using var again = new TestServer(answer: true, stallAfterFrames: 50, stallMs: 1000);
        var closed = await LoadRunner.RunAsync(options with { Port = again.Port, Mode = LoadMode.Closed }, null, Timeouts.Token());
        Assert.True(closed.MaxMs >= 900, $"closed max {closed.MaxMs} ms");
        Assert.True(closed.P90Ms < r.P90Ms, $"closed p90 {closed.P90Ms} ms, open p90 {r.P90Ms} ms");
    }

    /// <summary>Collects progress reports without a synchronization context.</summary>
    private sealed class SyncProgress(List<LoadProgress> into) : IProgress<LoadProgress>
    {
        public void Report(LoadProgress value)
        {
            lock (into) into.Add(value);
        }
    }

    /// <summary>
    /// A binary2-framed TCP server on a free loopback port: echoes frames (or swallows them), optionally stalling once
    /// after N frames or closing the connection after N frames.
    /// </summary>
    private sealed class TestServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly bool _answer;
        private readonly int _stallAfter;
        private readonly int _stallMs;
        private readonly int _closeAfter;

        public TestServer(bool answer, int stallAfterFrames = -1, int stallMs = 0, int closeAfterFrames = -1)
        {
            _answer = answer;
            _stallAfter = stallAfterFrames;
            _stallMs = stallMs;
            _closeAfter = closeAfterFrames;
            _listener.Start();
            _ = AcceptAsync();
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        private async Task AcceptAsync()
        {
            try
            {
                while (true) _ = ServeAsync(await _listener.AcceptTcpClientAsync(_stop.Token));
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                // Stopped.
            }
        }

        private async Task ServeAsync(TcpClient client)
        {
            using var _ = client;
            var stream = client.GetStream();
            var prefix = new byte[2];
            int frames = 0;
            try
            {
                while (true)
                {
                    await stream.ReadExactlyAsync(prefix, _stop.Token);
                    var body = new byte[(prefix[0] << 8) | prefix[1]];
                    await stream.ReadExactlyAsync(body, _stop.Token);
                    frames++;
                    if (frames == _closeAfter) return;
                    if (frames == _stallAfter) await Task.Delay(_stallMs, _stop.Token);
                    if (!_answer) continue;
                    await stream.WriteAsync(prefix, _stop.Token);
                    await stream.WriteAsync(body, _stop.Token);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or EndOfStreamException or ObjectDisposedException)
            {
                // The client went away or the server stops.
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            _stop.Dispose();
        }
    }
}

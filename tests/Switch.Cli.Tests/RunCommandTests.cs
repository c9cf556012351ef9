using System.Buffers.Binary;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;

namespace Switch.Cli.Tests;

/// <summary>
/// <c>switch run</c> as a process: it answers on its configured listener, under either socket completion
/// setting (the network layer runs sessions differently in each), and stops cleanly on SIGINT.
/// </summary>
public sealed class RunCommandTests
{
    private static readonly MessageSpec Spec = SpecCatalog.BuiltIn("iso8583-1987-binary");

    [Theory]
    [InlineData(null)]
    [InlineData("1")]
    public async Task Run_answers_echo_tests_and_declines_authorizations_then_stops_on_sigint_and_exits_promptly(string? inlineCompletions)
    {
        int port = FreePort();
        string config = Path.Combine(Path.GetTempPath(), $"switch-run-{Guid.NewGuid():N}.json");
        File.WriteAllText(config, $$"""
            { "network": { "listeners": [ { "name": "terminals", "bind": "127.0.0.1", "port": {{port}}, "spec": "iso8583-1987-binary",
              "framing": { "length": "binary2", "header": "none" } } ], "connectors": [] } }
            """);
        using var process = Start(config, inlineCompletions);
        var stdout = new StringBuilder();
        var clock = Stopwatch.StartNew();
        long stoppedAt = -1;
        process.OutputDataReceived += (_, e) =>
        {
            lock (stdout) stdout.AppendLine(e.Data);
            if (e.Data?.Contains("Stopped", StringComparison.Ordinal) == true) Interlocked.CompareExchange(ref stoppedAt, clock.ElapsedMilliseconds, -1);
        };
        process.BeginOutputReadLine();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            using var socket = await ConnectAsync(port);
            // Several exchanges pipelined on one connection: replies come back in order, each matched by STAN.
            var auth = Spec.NewMessage("0200").Set(3, "000000").Set(4, "000000001000").Set(7, "1125120000").Set(11, "000002").Set(41, "TERM0001");
            await SendAsync(socket, Echo("000001"), auth, Echo("000003"));
            var replies = new[] { await ReceiveAsync(socket), await ReceiveAsync(socket), await ReceiveAsync(socket) };
            Assert.Equal(("0810", "000001", "00"), Summary(replies[0]));
            Assert.Equal(("0210", "000002", "91"), Summary(replies[1]));
            Assert.Equal(("0810", "000003", "00"), Summary(replies[2]));
            Assert.Equal("TERM0001", replies[1].GetString(41));
        }
        finally
        {
            Interrupt(process);
        }
        using var exitWait = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await process.WaitForExitAsync(exitWait.Token);
        long exitedAt = clock.ElapsedMilliseconds;
        Assert.True(stoppedAt >= 0, $"\"Stopped\" was not logged; stdout: {stdout}");
        // The process exits promptly once it has stopped (the bound leaves room for a loaded machine).
        Assert.True(exitedAt - stoppedAt < 1000, $"exited {exitedAt - stoppedAt} ms after logging \"Stopped\"");
        File.Delete(config);
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}; stdout: {stdout}; stderr: {await stderr}");
        lock (stdout) Assert.Contains("Stopped", stdout.ToString(), StringComparison.Ordinal);
    }

    private static IsoMessage Echo(string stan) => Spec.NewMessage("0800").Set(7, "1125120000").Set(11, stan).Set(70, "301");

    private static (string?, string?, string?) Summary(IsoMessage m) => (m.Mti, m.GetString(11), m.GetString(39));

    private static Process Start(string config, string? inlineCompletions)
    {
        var info = CliRunner.StartInfo(["run", "--config", config]);
        info.Environment.Remove("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS");
        if (inlineCompletions is not null) info.Environment["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = inlineCompletions;
        return Process.Start(info)!;
    }

    internal static void Interrupt(Process process)
    {
        if (process.HasExited) return;
        using var kill = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    internal static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>Connects once the process listens (it needs a moment to start).</summary>
    internal static async Task<Socket> ConnectAsync(int port)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await socket.ConnectAsync(IPAddress.Loopback, port);
                socket.ReceiveTimeout = 10_000;
                return socket;
            }
            catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                socket.Dispose();
                await Task.Delay(100);
            }
        }
    }

    private static async Task SendAsync(Socket socket, params IsoMessage[] messages)
    {
        var bytes = new List<byte>();
        foreach (var m in messages)
        {
            byte[] body = Spec.Encode(m);
            var prefix = new byte[2];
            BinaryPrimitives.WriteUInt16BigEndian(prefix, (ushort)body.Length);
            bytes.AddRange(prefix);
            bytes.AddRange(body);
        }
        await socket.SendAsync(bytes.ToArray(), SocketFlags.None);
    }

    private static async Task<IsoMessage> ReceiveAsync(Socket socket)
    {
        var prefix = await ReadExactlyAsync(socket, 2);
        var body = await ReadExactlyAsync(socket, BinaryPrimitives.ReadUInt16BigEndian(prefix));
        return Spec.Decode((ReadOnlyMemory<byte>)body);
    }

    private static async Task<byte[]> ReadExactlyAsync(Socket socket, int count)
    {
        var buffer = new byte[count];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        for (int read = 0; read < count;)
        {
            int n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, timeout.Token);
            if (n == 0) throw new IOException($"connection closed after {read} of {count} bytes");
            read += n;
        }
        return buffer;
    }
}

using Switch.Iso8583.Vocabulary;
using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Switch.Common.Configuration;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;
using Switch.Network.Acceptor;
using Switch.Network.Config;
using Switch.Network.Management;

namespace Switch.Network.Tests;

/// <summary>Builds messages, sequences and listeners for the tests.</summary>
internal static class TestSupport
{
    /// <summary>The tests' one spec registry, as the host builds one at start.</summary>
    public static readonly SpecRegistry Specs = new();

    public static readonly MessageSpec Spec = Specs.Resolve("iso8583-1987-binary");

    /// <summary>The host's "network" section holding <paramref name="json"/>, from file switch.json.</summary>
    public static ConfigSection Section(string json)
    {
        using var document = JsonDocument.Parse(json);
        return new ConfigSection("switch.json", "network", document.RootElement.Clone());
    }

    /// <summary>Binds and validates a network section.</summary>
    public static NetworkConfig Parse(string json, SpecRegistry? specs = null) => NetworkConfig.FromSection(Section(json), specs ?? Specs, Environment.GetEnvironmentVariable);

    /// <summary>Validates options built in code, as the host's section would be.</summary>
    public static void Validate(NetworkConfig config) => config.Validate(Section("{}"), Specs);

    /// <summary>Every socket operation in a test is bounded by this.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public static IsoMessage Echo(string stan, string code = MessageTypes.EchoTest) =>
        Spec.NewMessage("0800").Set(7, "1125084500").Set(11, stan).Set(70, code);

    public static IsoMessage Authorization(string stan, string terminal = "TERM0001") =>
        Spec.NewMessage("0200").Set(2, "4111111111111111").Set(3, "000000").Set(4, "000000001000")
            .Set(7, "1125084500").Set(11, stan).Set(41, terminal);

    /// <summary>A multi-segment sequence made of the given chunks (as a pipe hands over split reads).</summary>
    public static ReadOnlySequence<byte> Chunked(params byte[][] chunks)
    {
        if (chunks.Length == 0) return ReadOnlySequence<byte>.Empty;
        var first = new Segment(chunks[0], 0);
        var last = first;
        for (int i = 1; i < chunks.Length; i++) last = last.Append(chunks[i]);
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>Splits bytes into chunks of the given size (1 = byte at a time).</summary>
    public static ReadOnlySequence<byte> Split(byte[] bytes, int chunkBytes) =>
        Chunked(bytes.Chunk(Math.Max(1, chunkBytes)).ToArray());

    public static byte[] Binary2(byte[] payload)
    {
        var frame = new byte[payload.Length + 2];
        BinaryPrimitives.WriteUInt16BigEndian(frame, (ushort)payload.Length);
        payload.CopyTo(frame, 2);
        return frame;
    }

    public static ListenerOptions ListenerOptions(string name = "test") => new()
    {
        Name = name,
        Bind = "127.0.0.1",
        Port = 0,
        Limits = new LimitOptions { IdleTimeoutMs = 30_000, PartialFrameTimeoutMs = 5_000, DrainTimeoutMs = 2_000 },
    };

    public static async Task<IsoListener> StartListenerAsync(ListenerOptions? options = null, IMessageHandler? handler = null)
    {
        options ??= ListenerOptions();
        Validate(new NetworkConfig { Listeners = [options] });
        var listener = new IsoListener(options, Specs, handler ?? new NetworkManagementHandler());
        listener.Start();
        await Task.Yield();
        return listener;
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}

/// <summary>A plain socket client speaking 2-byte binary length framing, every call bounded in time.</summary>
internal sealed class RawClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly CancellationTokenSource _cts = new(TestSupport.Timeout);

    private RawClient(Socket socket) => _socket = socket;

    public Socket Socket => _socket;

    /// <summary>Wraps a socket accepted by a test server.</summary>
    public static RawClient Wrap(Socket socket) => new(socket);

    public static async Task<RawClient> ConnectAsync(IPEndPoint endpoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var cts = new CancellationTokenSource(TestSupport.Timeout);
        await socket.ConnectAsync(endpoint, cts.Token);
        return new RawClient(socket);
    }

    public async Task SendAsync(byte[] bytes) => await _socket.SendAsync(bytes, SocketFlags.None, _cts.Token);

    public Task SendMessageAsync(IsoMessage message) => SendAsync(TestSupport.Binary2(TestSupport.Spec.Encode(message)));

    /// <summary>Reads exactly <paramref name="count"/> bytes; null when the peer closed first.</summary>
    public async Task<byte[]?> ReadExactAsync(int count)
    {
        var buffer = new byte[count];
        int read = 0;
        while (read < count)
        {
            int n = await _socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, _cts.Token);
            if (n == 0) return null;
            read += n;
        }
        return buffer;
    }

    /// <summary>Reads one 2-byte-length frame; null when the peer closed.</summary>
    public async Task<byte[]?> ReadFrameAsync()
    {
        var prefix = await ReadExactAsync(2);
        if (prefix is null) return null;
        return await ReadExactAsync(BinaryPrimitives.ReadUInt16BigEndian(prefix));
    }

    public async Task<IsoMessage?> ReadMessageAsync()
    {
        var frame = await ReadFrameAsync();
        return frame is null ? null : TestSupport.Spec.Decode(frame);
    }

    /// <summary>True when the server closes the connection (reads end) within the timeout.</summary>
    public async Task<bool> ClosedByPeerAsync(TimeSpan within)
    {
        using var cts = new CancellationTokenSource(within);
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                int n = await _socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                if (n == 0) return true;
            }
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        _cts.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>Connectors pointed at test listeners.</summary>
internal static class ConnectorSupport
{
    public static Switch.Network.Config.ConnectorOptions Options(params IPEndPoint[] endpoints) => new()
    {
        Name = "issuer",
        Endpoints = endpoints.Select(e => $"{e.Address}:{e.Port}").ToList(),
        Reconnect = new ReconnectOptions { InitialDelayMs = 20, DelayMsMax = 200, ConnectTimeoutMs = 2000 },
        NetworkManagement = new NetworkManagementOptions { EchoIntervalMs = 0, ResponseTimeoutMs = 2000 },
        Mux = new MuxOptions { TimeoutMs = 5000 },
        Limits = new LimitOptions { IdleTimeoutMs = 30_000, PartialFrameTimeoutMs = 5_000 },
    };

    public static async Task<Switch.Network.Connector.IsoConnector> StartAsync(Switch.Network.Config.ConnectorOptions options, bool waitUsable = true)
    {
        TestSupport.Validate(new NetworkConfig { Connectors = [options] });
        var connector = new Switch.Network.Connector.IsoConnector(options, TestSupport.Specs);
        connector.Start();
        if (waitUsable) Assert.True(await connector.WaitUsableAsync(TestSupport.Timeout, CancellationToken.None), "connector never became usable");
        return connector;
    }
}

/// <summary>Approves every request, counting the sessions that carried them.</summary>
internal sealed class ApprovingHandler : IMessageHandler
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<long, int> _perSession = new();

    public IReadOnlyDictionary<long, int> RequestsPerSession => _perSession;

    public ValueTask<IsoMessage?> HandleAsync(IsoMessage request, SessionContext session, CancellationToken ct)
    {
        if (request.Mti == "0800") return new NetworkManagementHandler().HandleAsync(request, session, ct);
        _perSession.AddOrUpdate(session.SessionId, 1, (_, n) => n + 1);
        return ValueTask.FromResult<IsoMessage?>(MessageTypes.Respond(request, ResponseCode.Approved));
    }
}

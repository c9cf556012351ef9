using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Serilog.Core;
using Switch.Iso20022.Network;
using Switch.Iso20022.Translation;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;
using Switch.Journal;
using Switch.Journal.Events;
using Switch.Network.Acceptor;
using Switch.Network.Config;
using Switch.Network.Connector;
using Switch.Network.Management;
using Switch.Routing;

namespace Switch.Iso20022.Tests;

/// <summary>
/// The switch's ISO 20022 side on loopback for one test: a real journal on a temp spool (Kafka mock), the router over
/// a route table, its TCP listener and Kestrel server, ISO 20022 peers (Kestrel and TCP, answering pacs.002 ACSC) and an
/// ISO 8583 issuer (a real IsoListener) reached through a real IsoConnector.
/// </summary>
internal sealed class NetworkHarness : IAsyncDisposable
{
    /// <summary>The last warnings and errors the parts logged, kept in memory (at most 1,000) for a failing test to show.</summary>
    public static readonly System.Collections.Concurrent.ConcurrentQueue<string> Logged = new();

    /// <summary>The logger every part gets.</summary>
    public static readonly Serilog.ILogger Log = new Serilog.LoggerConfiguration().MinimumLevel.Warning().WriteTo.Sink(new MemorySink()).CreateLogger();

    private sealed class MemorySink : Serilog.Core.ILogEventSink
    {
        public void Emit(Serilog.Events.LogEvent logEvent)
        {
            Logged.Enqueue($"{logEvent.Level} {logEvent.RenderMessage()} {logEvent.Exception}");
            while (Logged.Count > 1000) Logged.TryDequeue(out _);
        }
    }

    public const string MemberId = "091000019"; // the FedNow sample's creditor agent

    private readonly string _dir;
    private readonly List<IAsyncDisposable> _owned = [];

    private NetworkHarness(Journal.Journal journal, string dir)
    {
        Journal = journal;
        _dir = dir;
    }

    public Journal.Journal Journal { get; }
    public RouteTableHolder Routes { get; } = new();
    public Iso20022Router Router { get; private set; } = null!;
    public Iso20022TcpListener Tcp { get; private set; } = null!;
    public Iso20022HttpServer Http { get; private set; } = null!;
    public Iso20022HttpServer PeerHttp { get; private set; } = null!;
    public Iso20022TcpListener PeerTcp { get; private set; } = null!;
    public IsoListener Issuer { get; private set; } = null!;
    public IssuerHandler IssuerHandler { get; } = new();
    public PeerHandler Peer { get; } = new();
    public IPEndPoint SilentPeer { get; private set; } = null!;
    private Socket? _silent;

    public static readonly MessageSpec Spec = new SpecRegistry().Resolve("iso8583-1987-binary");

    public static async Task<NetworkHarness> StartAsync(int documentBytesMax = 1024 * 1024)
    {
        string dir = Directory.CreateTempSubdirectory("iso20022-journal-").FullName;
        var journal = Switch.Journal.Journal.Open(new JournalOptions { Spool = new SpoolOptions { Directory = dir, RetentionMs = 0, DeleteRequiresProjection = false } },
            Logger.None, fatal: ex => throw new InvalidOperationException("journal fatal in test", ex));
        var h = new NetworkHarness(journal, dir);
        await h.StartPartsAsync(new Iso20022Options { DocumentBytesMax = documentBytesMax });
        return h;
    }

    private async Task StartPartsAsync(Iso20022Options options)
    {
        var reader = new Iso20022Reader(SchemaCatalog.BuiltIn, options);
        // ISO 20022 peers: Kestrel and TCP, both answering ACSC (or what the test sets).
        PeerHttp = Own(new Iso20022HttpServer(new Iso20022HttpOptions { Port = 0 }, reader, Peer, Log));
        await PeerHttp.StartAsync(CancellationToken.None);
        PeerTcp = Own(new Iso20022TcpListener(new Iso20022ListenerOptions { Name = "peer-tcp", Port = 0 }, reader, Peer, Log));
        PeerTcp.Start();
        _silent = new Socket(SocketType.Stream, ProtocolType.Tcp);
        _silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _silent.Listen(16); // accepts (the kernel does) and never answers
        SilentPeer = (IPEndPoint)_silent.LocalEndPoint!;
        // The ISO 8583 issuer and the switch's connector to it.
        var specs = new SpecRegistry();
        var listenerOptions = new ListenerOptions { Name = "issuer-sim", Bind = "127.0.0.1", Port = 0, Limits = new LimitOptions { IdleTimeoutMs = 30_000, PartialFrameTimeoutMs = 5_000, DrainTimeoutMs = 2_000 } };
        new NetworkConfig { Listeners = [listenerOptions] }.Validate(new Switch.Common.Configuration.ConfigSection("test.json", "network", System.Text.Json.JsonDocument.Parse("{}").RootElement), specs);
        Issuer = new IsoListener(listenerOptions, specs, IssuerHandler);
        Issuer.Start();
        _owned.Add(Issuer);
        var connectorOptions = new ConnectorOptions
        {
            Name = "issuer",
            Endpoints = [$"127.0.0.1:{Issuer.LocalEndPoint.Port}"],
            Reconnect = new ReconnectOptions { InitialDelayMs = 20, DelayMsMax = 200, ConnectTimeoutMs = 2000 },
            NetworkManagement = new NetworkManagementOptions { EchoIntervalMs = 0, ResponseTimeoutMs = 2000 },
            Mux = new MuxOptions { TimeoutMs = 5000 },
            Limits = new LimitOptions { IdleTimeoutMs = 30_000, PartialFrameTimeoutMs = 5_000 },
        };
        new NetworkConfig { Connectors = [connectorOptions] }.Validate(new Switch.Common.Configuration.ConfigSection("test.json", "network", System.Text.Json.JsonDocument.Parse("{}").RootElement), specs);
        var connector = new IsoConnector(connectorOptions, specs);
        connector.Start();
        _owned.Add(connector);
        Assert.True(await connector.WaitUsableAsync(TimeSpan.FromSeconds(10), CancellationToken.None), "the connector never connected to the issuer");
        IIso20022Endpoint[] endpoints =
        [
            new HttpIso20022Endpoint(new Iso20022EndpointOptions { Name = "peer-http", Url = $"http://127.0.0.1:{PeerHttp.LocalEndPoint.Port}/iso20022", TimeoutMs = 5000 }, reader),
            new TcpIso20022Endpoint(new Iso20022EndpointOptions { Name = "peer-tcp", Transport = "tcp", Address = $"127.0.0.1:{PeerTcp.LocalEndPoint.Port}", TimeoutMs = 5000 }, reader),
            new TcpIso20022Endpoint(new Iso20022EndpointOptions { Name = "peer-silent", Transport = "tcp", Address = $"127.0.0.1:{SilentPeer.Port}", TimeoutMs = 500 }, reader),
            new TcpIso20022Endpoint(new Iso20022EndpointOptions { Name = "peer-down", Transport = "tcp", Address = $"127.0.0.1:{ClosedPort()}", TimeoutMs = 2000 }, reader),
        ];
        foreach (var e in endpoints) _owned.Add(e);
        Router = new Iso20022Router(Routes, Journal, reader, endpoints, [new IsoConnectorGateway(connector, TimeSpan.FromSeconds(5))], log: Log);
        Tcp = Own(new Iso20022TcpListener(new Iso20022ListenerOptions { Name = "switch-tcp", Port = 0 }, reader, Router, Log));
        Tcp.Start();
        Http = Own(new Iso20022HttpServer(new Iso20022HttpOptions { Port = 0 }, reader, Router, Log));
        await Http.StartAsync(CancellationToken.None);
    }

    private T Own<T>(T part) where T : IAsyncDisposable
    {
        _owned.Add(part);
        return part;
    }

    /// <summary>Routes the sample's creditor agent (member id) to <paramref name="destination"/>, with an optional failover.</summary>
    public void RouteTo(string destination, string? failover = null, long version = 1) =>
        Assert.True(Routes.TryPublish(RouteTable.Build([RouteRules.CreateAgent("fednow", RouteKeyKind.MemberId, MemberId, destination, failover: failover)], version)));

    public Uri HttpUri => new($"http://127.0.0.1:{Http.LocalEndPoint.Port}{Iso20022HttpServer.PathName}");

    public static async Task<HttpResponseMessage> PostAsync(Uri uri, byte[] body, string contentType = "application/xml")
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return await client.PostAsync(uri, content);
    }

    /// <summary>One request frame over a fresh TCP connection and its answer frame; null when the switch closed the connection.</summary>
    public static async Task<byte[]?> ExchangeAsync(IPEndPoint endpoint, byte[] frameBody, uint? announced = null)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endpoint);
        var prefix = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(prefix, announced ?? (uint)frameBody.Length);
        try
        {
            await socket.SendAsync(prefix.Concat(frameBody).ToArray());
        }
        catch (SocketException)
        {
            return null; // the switch closed the connection already
        }
        return await ReadFrameAsync(socket);
    }

    public static async Task<byte[]?> ReadFrameAsync(Socket socket)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var prefix = new byte[4];
        if (!await ReadExactAsync(socket, prefix, cts.Token)) return null;
        var body = new byte[BinaryPrimitives.ReadUInt32BigEndian(prefix)];
        return await ReadExactAsync(socket, body, cts.Token) ? body : null;
    }

    private static async Task<bool> ReadExactAsync(Socket socket, Memory<byte> buffer, CancellationToken ct)
    {
        while (!buffer.IsEmpty)
        {
            int n;
            try
            {
                n = await socket.ReceiveAsync(buffer, SocketFlags.None, ct);
            }
            catch (SocketException)
            {
                return false;
            }
            if (n == 0) return false;
            buffer = buffer[n..];
        }
        return true;
    }

    /// <summary>The journal's records of every transaction, in order.</summary>
    public async Task<List<JournalEvent>> LegsAsync()
    {
        var legs = new List<JournalEvent>();
        await foreach (var record in Journal.ReadAsync(0, CancellationToken.None)) legs.Add(record.Event);
        return legs;
    }

    private static int ClosedPort()
    {
        using var s = new Socket(SocketType.Stream, ProtocolType.Tcp);
        s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)s.LocalEndPoint!).Port; // bound, never listened: connecting is refused
    }

    public async ValueTask DisposeAsync()
    {
        for (int i = _owned.Count - 1; i >= 0; i--) await _owned[i].DisposeAsync();
        _silent?.Dispose();
        Journal.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}

/// <summary>The ISO 8583 test issuer: answers every 0200 with 0210 and the DE 39 the test sets, keeping what it received.</summary>
internal sealed class IssuerHandler : IMessageHandler
{
    public string ResponseCode { get; set; } = Switch.Iso8583.Vocabulary.ResponseCode.Approved;
    public System.Collections.Concurrent.ConcurrentQueue<IsoMessage> Received { get; } = new();

    public ValueTask<IsoMessage?> HandleAsync(IsoMessage request, SessionContext session, CancellationToken ct)
    {
        if (MessageTypes.IsNetworkManagementRequest(request)) return new NetworkManagementHandler().HandleAsync(request, session, ct);
        Received.Enqueue(request);
        return ValueTask.FromResult<IsoMessage?>(MessageTypes.Respond(request, ResponseCode).Set(38, "AB1234"));
    }
}

/// <summary>The ISO 20022 test peer: answers each document with a pacs.002 of the status the test sets.</summary>
internal sealed class PeerHandler : IIso20022Handler
{
    public string Status { get; set; } = "ACSC";
    public System.Collections.Concurrent.ConcurrentQueue<Iso20022Document> Received { get; } = new();

    public ValueTask<Iso20022Answer> HandleAsync(Iso20022Document document, Iso20022Origin origin, CancellationToken ct)
    {
        Received.Enqueue(document);
        string? reason = Status == "RJCT" ? "AC04" : null;
        return ValueTask.FromResult(new Iso20022Answer(StatusReports.ForTransaction(document, Status, reason, null, "PEERREF1", DateTimeOffset.UtcNow), StatusReports.MessageName, Status, reason));
    }

    public ValueTask<Iso20022Answer> RefusedAsync(Iso20022Exception error, Iso20022Origin origin, CancellationToken ct) =>
        ValueTask.FromResult(new Iso20022Answer(StatusReports.GroupRejection(null, null, "FF01", error.Message, DateTimeOffset.UtcNow), StatusReports.MessageName, "RJCT", "FF01"));
}

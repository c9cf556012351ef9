using System.Net;
using System.Net.Sockets;
using Switch.Iso20022.Network;
using Switch.Journal;
using Switch.Journal.Events;
using Switch.Routing;

namespace Switch.Iso20022.Tests;

/// <summary>I2 over the ISO 20022 transports: a journal that refuses the legs means no answer (HTTP 503, TCP silence) and nothing forwarded.</summary>
public sealed class JournalRefusalTests
{
    /// <summary>The journal's own refusal (a full spool, a failed fsync), raised on every append.</summary>
    private sealed class RefusingJournal : IJournal
    {
        public int Appends;

        public JournalHealth Health => JournalHealth.Unhealthy;

        public ValueTask AppendAsync(IReadOnlyList<JournalEvent> events, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Appends);
            throw new JournalUnavailableException("spool disk full");
        }
    }

    [Fact]
    public async Task A_refused_append_answers_503_over_http_sends_nothing_over_tcp_and_forwards_nothing()
    {
        var reader = Iso20022Reader.Default;
        var peer = new PeerHandler();
        await using var peerServer = new Iso20022HttpServer(new Iso20022HttpOptions { Port = 0 }, reader, peer);
        await peerServer.StartAsync(CancellationToken.None);
        await using var endpoint = new HttpIso20022Endpoint(new Iso20022EndpointOptions { Name = "peer-http", Url = $"http://127.0.0.1:{peerServer.LocalEndPoint.Port}/iso20022" }, reader);
        var routes = new RouteTableHolder();
        Assert.True(routes.TryPublish(RouteTable.Build([RouteRules.CreateAgent("fednow", RouteKeyKind.MemberId, NetworkHarness.MemberId, "peer-http")], 1)));
        var journal = new RefusingJournal();
        var router = new Iso20022Router(routes, journal, reader, [endpoint], []);
        await using var http = new Iso20022HttpServer(new Iso20022HttpOptions { Port = 0 }, reader, router);
        await http.StartAsync(CancellationToken.None);
        await using var tcp = new Iso20022TcpListener(new Iso20022ListenerOptions { Name = "t", Port = 0 }, reader, router);
        tcp.Start();

        using var response = await NetworkHarness.PostAsync(new Uri($"http://127.0.0.1:{http.LocalEndPoint.Port}/iso20022"), Samples.Bytes(Samples.Pacs008));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);

        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(tcp.LocalEndPoint);
        byte[] body = Samples.Bytes(Samples.Pacs008);
        var frame = new byte[4 + body.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(frame, body.Length);
        body.CopyTo(frame, 4);
        await socket.SendAsync(frame);
        await socket.SendAsync(frame);
        var buffer = new byte[4];
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        // No answer to either frame, and the connection stays open (the sender may retry on it).
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await socket.ReceiveAsync(buffer, SocketFlags.None, wait.Token));
        Assert.True(SpinWait.SpinUntil(() => Volatile.Read(ref journal.Appends) == 3, TimeSpan.FromSeconds(10)));
        Assert.Empty(peer.Received);
    }
}

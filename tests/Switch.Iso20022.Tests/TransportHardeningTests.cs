using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Switch.Journal.Events;

namespace Switch.Iso20022.Tests;

/// <summary>Hostile input over both transports is refused with its reason, journaled as Rejected, and the switch keeps serving.</summary>
public sealed class TransportHardeningTests
{
    private const string Xxe = """
        <?xml version="1.0"?>
        <!DOCTYPE d [ <!ENTITY x SYSTEM "file:///etc/passwd"> ]>
        <Document xmlns="urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08"><FIToFICstmrCdtTrf>&x;</FIToFICstmrCdtTrf></Document>
        """;

    private static readonly byte[] Truncated = Samples.Bytes(Samples.Pacs008)[..700];

    private static async Task AssertStillServesAsync(NetworkHarness h)
    {
        var answer = await NetworkHarness.ExchangeAsync(h.Tcp.LocalEndPoint, Samples.Bytes(Samples.Pacs008));
        Assert.True(Iso20022Reader.Default.TryRead(answer!, out var doc, out _));
        Assert.Equal("ACSC", doc!.Value("TxInfAndSts/TxSts"));
    }

    [Fact]
    public async Task Over_tcp_an_xxe_or_truncated_document_is_answered_FF01_with_the_positioned_error_and_journaled_as_rejected()
    {
        await using var h = await NetworkHarness.StartAsync();
        h.RouteTo("peer-http");
        foreach (var (frame, expected) in new[] { (Encoding.UTF8.GetBytes(Xxe), "line "), (Truncated, "line ") })
        {
            byte[]? xml = await NetworkHarness.ExchangeAsync(h.Tcp.LocalEndPoint, frame);
            Assert.True(Iso20022Reader.Default.TryRead(xml!, out var answer, out var error), error?.Message);
            Assert.Equal(("RJCT", "FF01"), (answer!.Value("OrgnlGrpInfAndSts/GrpSts"), answer.Value("OrgnlGrpInfAndSts/StsRsnInf/Rsn/Cd")));
            Assert.StartsWith(expected, answer.Value("OrgnlGrpInfAndSts/StsRsnInf/AddtlInf"), StringComparison.Ordinal);
        }
        var legs = await h.LegsAsync();
        Assert.Equal([LegKind.Rejected, LegKind.Rejected], legs.Select(l => l.Kind));
        Assert.Matches(@"^tcp Malformed: line \d+, position \d+: a document type declaration", legs[0].Detail);
        Assert.Empty(h.Peer.Received);
        await AssertStillServesAsync(h);
    }

    [Fact]
    public async Task Over_tcp_an_oversized_frame_closes_the_connection_before_its_bytes_are_read()
    {
        await using var h = await NetworkHarness.StartAsync(documentBytesMax: 4096);
        h.RouteTo("peer-http");
        // Announces 2 GiB and sends nothing more: refused on the prefix alone.
        Assert.Null(await NetworkHarness.ExchangeAsync(h.Tcp.LocalEndPoint, [], announced: 0x7FFF_FFFF));
        Assert.Null(await NetworkHarness.ExchangeAsync(h.Tcp.LocalEndPoint, new byte[5000]));
        Assert.Equal(2, h.Tcp.MalformedFrames);
        Assert.Contains(NetworkHarness.Logged, l => l.Contains("frame length 2147483647 exceeds the maximum of 4096 bytes", StringComparison.Ordinal));
        // A garbage stream and an abrupt close mid-frame do not crash the listener either.
        using (var socket = new Socket(SocketType.Stream, ProtocolType.Tcp))
        {
            await socket.ConnectAsync(h.Tcp.LocalEndPoint);
            var prefix = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(prefix, 100);
            await socket.SendAsync(prefix.Concat(new byte[10]).ToArray());
        }
        await AssertStillServesAsync(h);
    }

    [Fact]
    public async Task Over_http_invalid_xml_is_400_with_the_positioned_errors_and_never_reaches_the_destination()
    {
        await using var h = await NetworkHarness.StartAsync();
        h.RouteTo("peer-http");
        using var xxe = await NetworkHarness.PostAsync(h.HttpUri, Encoding.UTF8.GetBytes(Xxe));
        Assert.Equal(HttpStatusCode.BadRequest, xxe.StatusCode);
        Assert.Matches(@"^error: line \d+, position \d+: a document type declaration \(<!DOCTYPE>\) is not allowed", await xxe.Content.ReadAsStringAsync());
        using var truncated = await NetworkHarness.PostAsync(h.HttpUri, Truncated);
        Assert.Equal(HttpStatusCode.BadRequest, truncated.StatusCode);
        Assert.Matches(@"^error: line \d+, position \d+: ", await truncated.Content.ReadAsStringAsync());
        string wrongNamespace = Encoding.UTF8.GetString(Samples.Bytes(Samples.Pacs008)).Replace("pacs.008.001.08", "pacs.008.001.99", StringComparison.Ordinal);
        using var unsupported = await NetworkHarness.PostAsync(h.HttpUri, Encoding.UTF8.GetBytes(wrongNamespace));
        Assert.Equal(HttpStatusCode.BadRequest, unsupported.StatusCode);
        Assert.Empty(h.Peer.Received);
        Assert.All(await h.LegsAsync(), l => Assert.Equal(LegKind.Rejected, l.Kind));
    }

    [Fact]
    public async Task Over_http_a_wrong_content_type_is_415_an_oversized_body_413_and_another_method_405()
    {
        await using var h = await NetworkHarness.StartAsync(documentBytesMax: 4096);
        h.RouteTo("peer-http");
        using var json = await NetworkHarness.PostAsync(h.HttpUri, Encoding.UTF8.GetBytes("{}"), "application/json");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, json.StatusCode);
        using var big = await NetworkHarness.PostAsync(h.HttpUri, new byte[5000]);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, big.StatusCode);
        using var client = new HttpClient();
        using var get = await client.GetAsync(h.HttpUri);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, get.StatusCode);
        using var elsewhere = await client.PostAsync(new Uri(h.HttpUri, "/other"), new ByteArrayContent([]));
        Assert.Equal(HttpStatusCode.NotFound, elsewhere.StatusCode);
        Assert.Empty(h.Peer.Received);
        // The server still answers a good payment.
        using var ok = await NetworkHarness.PostAsync(h.HttpUri, Samples.Bytes(Samples.Pacs008));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode); // the 2.3 KB sample is within this server's 4 KiB
    }
}

using System.Net;
using System.Text;
using Switch.Journal.Events;

namespace Switch.Iso20022.Tests;

/// <summary>
/// A pacs.008 over TCP and over HTTP (real sockets and Kestrel on 127.0.0.1) is routed by its creditor agent and
/// answered with a pacs.002: from an ISO 20022 endpoint, and from an ISO 8583 issuer through translation; the
/// journal holds every leg; no route, an unreachable or silent destination are rejected with their documented reasons.
/// </summary>
public sealed class TransportRoutingTests
{
    private static readonly byte[] Pacs008 = Samples.Bytes(Samples.Pacs008);

    private static Iso20022Document Read(byte[]? xml)
    {
        Assert.NotNull(xml);
        Assert.True(Iso20022Reader.Default.TryRead(xml, out var doc, out var error), error?.Message);
        Assert.Equal("pacs.002.001.10", doc!.MessageName);
        return doc;
    }

    private static void AssertAnswersThePayment(Iso20022Document answer, string status)
    {
        Assert.Equal(status, answer.Value("TxInfAndSts/TxSts"));
        Assert.Equal("20260702021040078FIXTURE001", answer.Value("TxInfAndSts/OrgnlGrpInf/OrgnlMsgId"));
        Assert.Equal("E2E-20260702-0001", answer.Value("TxInfAndSts/OrgnlEndToEndId"));
        Assert.Equal("8a562c67-ca16-48ba-b074-65581be6f001", answer.Value("TxInfAndSts/OrgnlUETR"));
    }

    private static async Task<List<JournalEvent>> LegsOfOnlyTransactionAsync(NetworkHarness h)
    {
        var legs = await h.LegsAsync();
        Assert.Single(legs.Select(l => l.TransactionId).Distinct());
        return legs;
    }

    [Fact]
    public async Task A_pacs008_over_tcp_gets_the_pacs002_of_an_iso20022_endpoint_over_http_and_every_leg_is_journaled()
    {
        await using var h = await NetworkHarness.StartAsync();
        h.RouteTo("peer-http");
        var answer = Read(await NetworkHarness.ExchangeAsync(h.Tcp.LocalEndPoint, Pacs008));
        AssertAnswersThePayment(answer, "ACSC");
        Assert.Equal("PEERREF1", answer.Value("TxInfAndSts/AcctSvcrRef")); // the peer's own answer, forwarded unchanged
        Assert.Equal("E2E-20260702-0001", PaymentView.Of(Assert.Single(h.Peer.Received)).EndToEndId);

        var legs = await LegsOfOnlyTransactionAsync(h);
        Assert.Equal([LegKind.RequestIn, LegKind.RequestOut, LegKind.ResponseIn, LegKind.ResponseOut], legs.Select(l => l.Kind));
        Assert.Equal(["pacs.008.001.08", "pacs.008.001.08", "pacs.002.001.10", "pacs.002.001.10"], legs.Select(l => l.Mti));
        Assert.All(legs, l => Assert.Equal((125000L, (ushort)840), (l.AmountMinor, l.CurrencyNumeric)));
        Assert.Equal(["", "peer-http", "peer-http", "peer-http"], legs.Select(l => l.Destination));
        Assert.Equal(["", "fednow", "fednow", "fednow"], legs.Select(l => l.Route));
        Assert.Equal("ACSC", legs[3].ResponseCode);
        Assert.Contains("UETR 8a562c67-ca16-48ba-b074-65581be6f001", legs[0].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_pacs008_over_http_gets_the_pacs002_of_an_iso20022_endpoint_over_tcp()
    {
        await using var h = await NetworkHarness.StartAsync();
        h.RouteTo("peer-tcp");
        h.Peer.Status = "RJCT";
        using var response = await NetworkHarness.PostAsync(h.HttpUri, Pacs008);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/xml", response.Content.Headers.ContentType!.MediaType);
        var answer = Read(await response.Content.ReadAsByteArrayAsync());
        AssertAnswersThePayment(answer, "RJCT");
        Assert.Equal("AC04", answer.Value("TxInfAndSts/StsRsnInf/Rsn/Cd"));
        var legs = await LegsOfOnlyTransactionAsync(h);
        Assert.Equal(4, legs.Count);
        Assert.Equal("RJCT", legs[2].ResponseCode);
    }

    [Fact]
    public async Task A_pacs008_over_http_is_translated_for_an_iso8583_issuer_whose_0210_00_comes_back_as_pacs002_ACSC()
    {
        await using var h = await NetworkHarness.StartAsync();
        h.RouteTo("issuer");
        using var response = await NetworkHarness.PostAsync(h.HttpUri, Pacs008);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = Read(await response.Content.ReadAsByteArrayAsync());
        AssertAnswersThePayment(answer, "ACSC");
        Assert.Equal("1250.00", answer.Value("TxInfAndSts/OrgnlTxRef/IntrBkSttlmAmt"));
        Assert.Equal("USD", answer.Value("TxInfAndSts/OrgnlTxRef/IntrBkSttlmAmt/@Ccy"));
        Assert.Equal("AB1234", answer.Value("TxInfAndSts/AcctSvcrRef")); // the issuer's DE 38

        var request = Assert.Single(h.IssuerHandler.Received);
        Assert.Equal(("0200", "000000125000", "840"), (request.Mti, request[4], request[49]));
        Assert.Contains("EE017E2E-20260702-0001", request[48], StringComparison.Ordinal); // the end-to-end id in the DE 48 TLV

        var legs = await LegsOfOnlyTransactionAsync(h);
        Assert.Equal([LegKind.RequestIn, LegKind.RequestOut, LegKind.ResponseIn, LegKind.ResponseOut], legs.Select(l => l.Kind));
        Assert.Equal(["pacs.008.001.08", "0200", "0210", "pacs.002.001.10"], legs.Select(l => l.Mti));
        Assert.Equal(request[11], legs[1].Stan);
        Assert.Equal(("00", "AB1234"), (legs[2].ResponseCode, legs[2].ApprovalCode));
        Assert.Equal("ACSC", legs[3].ResponseCode);
        Assert.All(legs.Skip(1), l => Assert.Equal("issuer", l.Destination));
    }

    [Fact]
    public async Task A_pacs008_over_tcp_declined_51_by_the_iso8583_issuer_is_rejected_AM04()
    {
        await using var h = await NetworkHarness.StartAsync();
        h.RouteTo("issuer");
        h.IssuerHandler.ResponseCode = "51";
        var answer = Read(await NetworkHarness.ExchangeAsync(h.Tcp.LocalEndPoint, Pacs008));
        AssertAnswersThePayment(answer, "RJCT");
        Assert.Equal("AM04", answer.Value("TxInfAndSts/StsRsnInf/Rsn/Cd"));
        var legs = await LegsOfOnlyTransactionAsync(h);
        Assert.Equal("51", legs[2].ResponseCode);
        Assert.Equal("RJCT", legs[3].ResponseCode);
        Assert.Equal("reason AM04", legs[3].Detail);
    }

    [Fact]
    public async Task No_route_is_a_pacs002_RJCT_CNOR_journaled_as_request_in_and_response_out()
    {
        await using var h = await NetworkHarness.StartAsync();
        Assert.True(h.Routes.TryPublish(Switch.Routing.RouteTable.Build(
            [Switch.Routing.RouteRules.CreateAgent("other", Switch.Routing.RouteKeyKind.Bic, "DEUTDEFF", "peer-http")], 1)));
        var answer = Read(await NetworkHarness.ExchangeAsync(h.Tcp.LocalEndPoint, Pacs008));
        AssertAnswersThePayment(answer, "RJCT");
        Assert.Equal("CNOR", answer.Value("TxInfAndSts/StsRsnInf/Rsn/Cd"));
        Assert.Equal("no route for creditor agent USABA/091000019", answer.Value("TxInfAndSts/StsRsnInf/AddtlInf"));
        var legs = await LegsOfOnlyTransactionAsync(h);
        Assert.Equal([LegKind.RequestIn, LegKind.ResponseOut], legs.Select(l => l.Kind));
        Assert.Empty(h.Peer.Received);
    }

    [Fact]
    public async Task A_bic_route_sends_a_payment_whose_creditor_agent_has_that_bic()
    {
        await using var h = await NetworkHarness.StartAsync();
        Assert.True(h.Routes.TryPublish(Switch.Routing.RouteTable.Build(
            [Switch.Routing.RouteRules.CreateAgent("deut", Switch.Routing.RouteKeyKind.Bic, "DEUTDEFF", "peer-tcp"),
             Switch.Routing.RouteRules.CreateAgent("aba", Switch.Routing.RouteKeyKind.MemberId, NetworkHarness.MemberId, "issuer")], 1)));
        string withBic = Encoding.UTF8.GetString(Pacs008);
        int agent = withBic.IndexOf("<CdtrAgt>", StringComparison.Ordinal);
        int fin = withBic.IndexOf("<FinInstnId>", agent, StringComparison.Ordinal) + "<FinInstnId>".Length;
        withBic = withBic.Insert(fin, "<BICFI>DEUTDEFF500</BICFI>");
        AssertAnswersThePayment(Read(await NetworkHarness.ExchangeAsync(h.Tcp.LocalEndPoint, Encoding.UTF8.GetBytes(withBic))), "ACSC");
        Assert.Single(h.Peer.Received);
        Assert.Empty(h.IssuerHandler.Received); // the BIC wins over the member id
    }

    [Fact]
    public async Task An_unreachable_destination_fails_over_and_without_a_failover_is_rejected_AB08()
    {
        await using var h = await NetworkHarness.StartAsync();
        h.RouteTo("peer-down", failover: "peer-http");
        AssertAnswersThePayment(Read(await NetworkHarness.ExchangeAsync(h.Tcp.LocalEndPoint, Pacs008)), "ACSC");
        Assert.Single(h.Peer.Received);
        var legs = await h.LegsAsync();
        Assert.Equal([LegKind.RequestIn, LegKind.RequestOut, LegKind.RequestOut, LegKind.ResponseIn, LegKind.ResponseOut], legs.Select(l => l.Kind));
        Assert.Equal(["", "peer-down", "peer-http", "peer-http", "peer-http"], legs.Select(l => l.Destination));
        h.RouteTo("peer-down", version: 2);
        var answer = Read(await NetworkHarness.ExchangeAsync(h.Tcp.LocalEndPoint, Pacs008));
        Assert.Equal(("RJCT", "AB08"), (answer.Value("TxInfAndSts/TxSts"), answer.Value("TxInfAndSts/StsRsnInf/Rsn/Cd")));
    }

    [Fact]
    public async Task A_destination_that_does_not_answer_in_time_is_rejected_AB05()
    {
        await using var h = await NetworkHarness.StartAsync();
        h.RouteTo("peer-silent");
        var answer = Read(await NetworkHarness.ExchangeAsync(h.Tcp.LocalEndPoint, Pacs008));
        Assert.Equal(("RJCT", "AB05"), (answer.Value("TxInfAndSts/TxSts"), answer.Value("TxInfAndSts/StsRsnInf/Rsn/Cd")));
        var legs = await h.LegsAsync();
        Assert.Equal([LegKind.RequestIn, LegKind.RequestOut, LegKind.ResponseOut], legs.Select(l => l.Kind));
        Assert.StartsWith("reason AB05: peer-silent did not answer within 500 ms", legs[2].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_message_the_switch_does_not_route_gets_a_group_rejection()
    {
        await using var h = await NetworkHarness.StartAsync();
        h.RouteTo("peer-http");
        var answer = Read(await NetworkHarness.ExchangeAsync(h.Tcp.LocalEndPoint, Samples.Bytes(Samples.Camt056)));
        Assert.Equal(("RJCT", "NARR"), (answer.Value("OrgnlGrpInfAndSts/GrpSts"), answer.Value("OrgnlGrpInfAndSts/StsRsnInf/Rsn/Cd")));
        Assert.Equal("camt.056.001.08", answer.Value("OrgnlGrpInfAndSts/OrgnlMsgNmId"));
    }
}

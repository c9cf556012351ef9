using Switch.Core.MasterData;
using Switch.Iso8583.Vocabulary;
using Switch.Journal.Events;

namespace Switch.Core.Tests.Issuers;

/// <summary>Stand-in: with the issuer's connector down and failover stand-in, no-PIN transactions up to the limit are approved and advised later.</summary>
public sealed class StandInTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task With_the_issuer_down_a_no_pin_purchase_under_the_limit_is_approved_and_its_advice_is_delivered_when_the_issuer_returns()
    {
        await using var bed = await IssuerTestbed.StartAsync(issuerUp: false);
        var (request, _) = bed.Purchase(2_000);

        var decision = await bed.RunAsync(request);

        Assert.Equal(ResponseCode.Approved, decision.ResponseCode);
        Assert.Equal("stand-in", decision.Destination);
        Assert.Matches("^S[0-9]{5}$", decision.ApprovalCode);
        Assert.Null(decision.IssuerResponse);
        Assert.Equal([LegKind.RouteChange, LegKind.StandInDecision, LegKind.AdviceQueued], decision.Events.Select(e => e.Kind));
        Assert.Equal(decision.ApprovalCode, decision.Events[1].ApprovalCode);
        Assert.Equal("0220", decision.Events[2].Mti);
        Assert.Equal(1, bed.Metrics.Depth(IssuerTestbed.Connector));

        await bed.StartIssuerAsync();
        await IssuerTestbed.WaitUntilAsync(() => bed.Metrics.Depth(IssuerTestbed.Connector) == 0, Within, "the advice delivered");
        var advice = Assert.Single(bed.Issuer.Saf);
        Assert.Equal("0220", advice.Mti);
        Assert.Equal(decision.ApprovalCode, advice.ApprovalCode);
        Assert.Equal(ResponseCode.Approved, advice.ResponseCode);
        Assert.Equal("998877", advice.AcquirerId);
        Assert.Equal("000000002000", advice.Amount);
        Assert.True(advice.PanIsDemoCard && !advice.HasTrack2 && !advice.HasPinBlock);
        var records = await bed.JournalRecordsAsync();
        Assert.Single(records, r => r.Event.Kind == LegKind.AdviceSent);
        Assert.Single(records, r => r.Event.Kind == LegKind.AdviceAnswered && r.Event.Mti == "0230");
        await bed.AssertNoCardDataKeptAsync();
    }

    [Fact]
    public async Task In_stand_in_a_transaction_with_a_pin_or_over_the_limit_gets_91_and_queues_nothing()
    {
        await using var bed = await IssuerTestbed.StartAsync(issuerUp: false);
        long limit = DemoDataSet.RemoteIssuer.StandInLimitMinor;

        var withPin = await bed.RunAsync(bed.Purchase(1_000, pin: DemoDataSet.All.RemoteCard.Pin).Request);
        var over = await bed.RunAsync(bed.Purchase(limit + 1).Request);
        var atLimit = await bed.RunAsync(bed.Purchase(limit).Request);

        Assert.Equal(ResponseCode.IssuerOrSwitchInoperative, withPin.ResponseCode);
        Assert.Contains("PIN", withPin.Events.Single(e => e.Kind == LegKind.StandInDecision).Detail, StringComparison.Ordinal);
        Assert.Equal(ResponseCode.IssuerOrSwitchInoperative, over.ResponseCode);
        Assert.Contains("over the stand-in limit", over.Events.Single(e => e.Kind == LegKind.StandInDecision).Detail, StringComparison.Ordinal);
        Assert.Null(over.ApprovalCode);
        Assert.Equal(ResponseCode.Approved, atLimit.ResponseCode);
        Assert.Equal(1, bed.Gateway.StoreAndForward.Depth(IssuerTestbed.Connector));
    }

    [Fact]
    public async Task Without_a_stand_in_failover_a_down_issuer_answers_91()
    {
        await using var bed = await IssuerTestbed.StartAsync(issuerUp: false);
        var decision = await bed.RunAsync(bed.Purchase(1_000, route: IssuerTestbed.RemoteRoute(failover: null)).Request);
        Assert.Equal(ResponseCode.IssuerOrSwitchInoperative, decision.ResponseCode);
        Assert.Empty(decision.Events);
        Assert.Equal(0, bed.Gateway.StoreAndForward.Depth(IssuerTestbed.Connector));
    }

    [Fact]
    public async Task When_the_store_and_forward_queue_is_full_stand_in_declines()
    {
        await using var bed = await IssuerTestbed.StartAsync(IssuerTestbed.FastOptions(safEntriesMax: 2), issuerUp: false);
        Assert.Equal(ResponseCode.Approved, (await bed.RunAsync(bed.Purchase(100).Request)).ResponseCode);
        Assert.Equal(ResponseCode.Approved, (await bed.RunAsync(bed.Purchase(100).Request)).ResponseCode);
        var third = await bed.RunAsync(bed.Purchase(100).Request);
        Assert.Equal(ResponseCode.IssuerOrSwitchInoperative, third.ResponseCode);
        Assert.Contains("store-and-forward full", third.Events.Single(e => e.Kind == LegKind.StandInDecision).Detail, StringComparison.Ordinal);
        Assert.Equal(2, bed.Gateway.StoreAndForward.Depth(IssuerTestbed.Connector));
    }

    [Fact]
    public async Task An_aborted_decision_queues_nothing()
    {
        await using var bed = await IssuerTestbed.StartAsync(issuerUp: false);
        var standIn = await bed.Gateway.AuthorizeAsync(bed.Purchase(1_000).Request, CancellationToken.None);
        Assert.Equal(ResponseCode.Approved, standIn.ResponseCode);
        bed.Gateway.Abort(standIn);
        Assert.Equal(0, bed.Gateway.StoreAndForward.Depth(IssuerTestbed.Connector));

        // The aborted reservation is given back: the queue still takes its full bound.
        await bed.StartIssuerAsync();
        Assert.True(await bed.ConnectorInstance.WaitUsableAsync(TimeSpan.FromSeconds(10), CancellationToken.None));
        bed.Issuer.Mode = IssuerMode.Late;
        bed.Issuer.LateBy = TimeSpan.FromSeconds(4);
        var timedOut = await bed.Gateway.AuthorizeAsync(bed.Purchase(1_000).Request, CancellationToken.None);
        Assert.Contains(timedOut.Events, e => e.Kind == LegKind.ReversalQueued);
        bed.Gateway.Abort(timedOut);
        await Task.Delay(1_500);
        Assert.Equal(0, bed.Gateway.StoreAndForward.Depth(IssuerTestbed.Connector));
        Assert.Empty(bed.Issuer.Saf);
    }
}

/// <summary>Failover to another connector when the route's own is down.</summary>
public sealed class FailoverTests
{
    [Fact]
    public async Task With_the_routes_connector_down_the_leg_goes_to_the_failover_connector_with_its_zpk()
    {
        await using var bed = await IssuerTestbed.StartAsync(issuerUp: false, failoverIssuer: true);
        var route = Switch.Routing.RouteRules.Create("demo-issuer", "541333", IssuerTestbed.Connector, failover: IssuerTestbed.FailoverConnector);
        var decision = await bed.RunAsync(bed.Purchase(2_000, pin: DemoDataSet.All.RemoteCard.Pin, route: route).Request);

        Assert.Equal(ResponseCode.Approved, decision.ResponseCode);
        Assert.Equal(IssuerTestbed.FailoverConnector, decision.Destination);
        Assert.Equal([LegKind.RouteChange, LegKind.RequestOut, LegKind.ResponseIn], decision.Events.Select(e => e.Kind));
        Assert.Contains("from=issuer-sim", decision.Events[0].Detail, StringComparison.Ordinal);
        Assert.True(Assert.Single(bed.SecondIssuer!.Received).PinMatches);
        Assert.Empty(bed.Issuer.Received);
    }
}

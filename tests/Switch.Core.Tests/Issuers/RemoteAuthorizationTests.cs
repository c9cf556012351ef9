using Switch.Core.MasterData;
using Switch.Iso8583.Vocabulary;
using Switch.Journal.Events;

namespace Switch.Core.Tests.Issuers;

/// <summary>The issuer leg: the switch's STAN and institution id, the PIN block translated to the issuer's ZPK, the answer mapped.</summary>
public sealed class RemoteAuthorizationTests
{
    [Fact]
    public async Task A_remote_approval_carries_the_switch_stan_and_institution_id_and_the_pin_translated_to_the_issuers_zpk()
    {
        await using var bed = await IssuerTestbed.StartAsync();
        var (request, _) = bed.Purchase(2_500, pin: DemoDataSet.All.RemoteCard.Pin);
        var decision = await bed.RunAsync(request);

        Assert.Equal(ResponseCode.Approved, decision.ResponseCode);
        Assert.Equal("A12345", decision.ApprovalCode);
        Assert.Equal(IssuerTestbed.Connector, decision.Destination);
        Assert.NotNull(decision.IssuerResponse);
        var leg = Assert.Single(bed.Issuer.Received, r => r.Mti == "0200");
        Assert.NotEqual(request.Transaction.Stan, leg.Stan);
        Assert.Equal("998877", leg.AcquirerId);
        Assert.True(leg.HasPinBlock);
        Assert.True(leg.PinMatches, "the issuer could not decipher the demo PIN under its ZPK");
        Assert.True(leg.PanIsDemoCard);
        Assert.True(leg.HasTrack2);
        Assert.False(leg.HasMac);
        Assert.Equal("000000002500", leg.Amount);
        Assert.Equal([LegKind.RequestOut, LegKind.ResponseIn], decision.Events.Select(e => e.Kind));
        Assert.Equal(leg.Stan, decision.Events[0].Stan);
        Assert.Equal(ResponseCode.Approved, decision.Events[1].ResponseCode);
        Assert.Equal(0, bed.Gateway.StoreAndForward.Depth(IssuerTestbed.Connector));
        await bed.AssertNoCardDataKeptAsync();
    }

    [Fact]
    public async Task A_wrong_pin_reaches_the_issuer_translated_and_its_decline_is_passed_on()
    {
        await using var bed = await IssuerTestbed.StartAsync();
        var (request, _) = bed.Purchase(2_500, pin: "9999");
        var decision = await bed.RunAsync(request);
        Assert.Equal(ResponseCode.IncorrectPin, decision.ResponseCode);
        Assert.Null(decision.ApprovalCode);
        Assert.False(Assert.Single(bed.Issuer.Received, r => r.Mti == "0200").PinMatches);
    }

    [Fact]
    public async Task An_issuer_decline_is_passed_on_and_nothing_is_reversed()
    {
        await using var bed = await IssuerTestbed.StartAsync();
        bed.Issuer.Mode = IssuerMode.Decline;
        var (request, _) = bed.Purchase(2_500);
        var decision = await bed.RunAsync(request);
        Assert.Equal(ResponseCode.DoNotHonour, decision.ResponseCode);
        Assert.DoesNotContain(decision.Events, e => e.Kind == LegKind.ReversalQueued);
        Assert.Equal(0, bed.Gateway.StoreAndForward.Depth(IssuerTestbed.Connector));
        // Its reversal from the terminal is answered 00 and nothing goes to the issuer.
        var reversal = await bed.RunAsync(bed.Reversal(request));
        Assert.Equal(ResponseCode.Approved, reversal.ResponseCode);
        await Task.Delay(200);
        Assert.Empty(bed.Issuer.Saf);
    }

    [Fact]
    public async Task An_authorization_goes_as_0100_and_a_terminals_repeat_goes_as_a_first_transmission()
    {
        await using var bed = await IssuerTestbed.StartAsync();
        var (request, _) = bed.Purchase(1_000, mti: "0101");
        var decision = await bed.RunAsync(request);
        Assert.Equal(ResponseCode.Approved, decision.ResponseCode);
        Assert.Single(bed.Issuer.Received, r => r.Mti == "0100");
    }
}

/// <summary>What the gateway answers when the leg cannot be built or the answer cannot be read.</summary>
public sealed class IssuerLegFailureTests
{
    [Fact]
    public async Task An_issuer_answer_without_a_response_code_is_answered_96_and_reversed()
    {
        await using var bed = await IssuerTestbed.StartAsync();
        bed.Issuer.Mode = IssuerMode.NoResponseCode;
        var decision = await bed.RunAsync(bed.Purchase(1_000).Request);
        Assert.Equal(ResponseCode.SystemMalfunction, decision.ResponseCode);
        Assert.Equal([LegKind.RequestOut, LegKind.ResponseIn, LegKind.ReversalQueued], decision.Events.Select(e => e.Kind));
        await IssuerTestbed.WaitUntilAsync(() => bed.Issuer.Saf.Count == 1 && bed.Gateway.StoreAndForward.Depth(IssuerTestbed.Connector) == 0,
            TimeSpan.FromSeconds(20), "the reversal delivered");
    }

    [Fact]
    public async Task A_pin_that_cannot_be_translated_is_never_sent()
    {
        await using var bed = await IssuerTestbed.StartAsync();
        var (request, _) = bed.Purchase(1_000, pin: DemoDataSet.All.RemoteCard.Pin);
        var noKey = new Switch.Core.Issuers.IssuerRequest
        {
            Transaction = request.Transaction, TerminalRequest = request.TerminalRequest, Route = request.Route, MasterData = request.MasterData,
            Terminal = request.Terminal with { TpkRef = "no-such-key" },
        };
        var decision = await bed.RunAsync(noKey);
        Assert.Equal(ResponseCode.SystemMalfunction, decision.ResponseCode);
        Assert.Empty(decision.Events);

        var noProfile = new Switch.Core.Issuers.IssuerRequest
        {
            Transaction = request.Transaction, TerminalRequest = request.TerminalRequest, Route = request.Route, Terminal = request.Terminal,
            MasterData = new MasterDataSnapshot(DemoDataSet.Terminals, [], [], [], []),
        };
        Assert.Equal(ResponseCode.SystemMalfunction, (await bed.RunAsync(noProfile)).ResponseCode);
        Assert.Empty(bed.Issuer.Received);
    }
}

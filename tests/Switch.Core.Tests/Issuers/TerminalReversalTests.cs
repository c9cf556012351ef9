using Switch.Iso8583.Vocabulary;
using Switch.Journal.Events;

namespace Switch.Core.Tests.Issuers;

/// <summary>A terminal's reversal of a remote transaction: matched by DE90, forwarded with the issuer leg's DE90, once.</summary>
public sealed class TerminalReversalTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_reversal_of_an_approved_remote_transaction_goes_to_the_issuer_with_the_legs_original_data_and_a_repeat_is_answered_00_without_a_second()
    {
        await using var bed = await IssuerTestbed.StartAsync();
        var (original, _) = bed.Purchase(3_000);
        Assert.Equal(ResponseCode.Approved, (await bed.RunAsync(original)).ResponseCode);
        string legStan = bed.Issuer.Received.Single(r => r.Mti == "0200").Stan!;

        var reversal = bed.Reversal(original, mti: "0400");
        var decision = await bed.RunAsync(reversal);

        Assert.Equal(ResponseCode.Approved, decision.ResponseCode);
        Assert.NotNull(decision.IssuerResponse);
        var sent = Assert.Single(bed.Issuer.Saf);
        Assert.Equal("0400", sent.Mti);
        Assert.Equal("0200" + legStan + original.Transaction.TransmissionDateTime + "00000998877" + "00000000000", sent.OriginalData);
        Assert.Equal("998877", sent.AcquirerId);
        Assert.NotEqual(reversal.Transaction.Stan, sent.Stan);
        Assert.Equal([LegKind.RequestOut, LegKind.ResponseIn], decision.Events.Select(e => e.Kind));

        var again = await bed.RunAsync(bed.Reversal(original, mti: "0420"));
        Assert.Equal(ResponseCode.Approved, again.ResponseCode);
        Assert.Empty(again.Events);
        Assert.Single(bed.Issuer.Saf);
    }

    [Fact]
    public async Task A_reversal_of_an_unknown_transaction_is_answered_25()
    {
        await using var bed = await IssuerTestbed.StartAsync();
        var (never, _) = bed.Purchase(3_000);
        var decision = await bed.RunAsync(bed.Reversal(never));
        Assert.Equal(ResponseCode.OriginalNotFound, decision.ResponseCode);
        Assert.Empty(bed.Issuer.Received);
    }

    [Fact]
    public async Task A_partial_reversal_carries_its_replacement_amounts_to_the_issuer()
    {
        await using var bed = await IssuerTestbed.StartAsync();
        var (original, _) = bed.Purchase(3_000);
        await bed.RunAsync(original);
        string replacement = "000000001000" + new string('0', 30);
        var decision = await bed.RunAsync(bed.Reversal(original, replacementAmounts: replacement));
        Assert.Equal(ResponseCode.Approved, decision.ResponseCode);
        Assert.Equal(replacement, Assert.Single(bed.Issuer.Saf).ReplacementAmounts);
    }

    [Fact]
    public async Task With_the_issuer_down_a_reversal_is_queued_answered_00_and_delivered_when_it_returns()
    {
        await using var bed = await IssuerTestbed.StartAsync();
        var (original, _) = bed.Purchase(3_000);
        await bed.RunAsync(original);
        string legStan = bed.Issuer.Received.Single(r => r.Mti == "0200").Stan!;
        await bed.StopIssuerAsync();
        await IssuerTestbed.WaitUntilAsync(() => !bed.ConnectorInstance.IsUsable, Within, "the connector down");

        var decision = await bed.RunAsync(bed.Reversal(original));
        Assert.Equal(ResponseCode.Approved, decision.ResponseCode);
        Assert.Equal(LegKind.ReversalQueued, Assert.Single(decision.Events).Kind);
        Assert.Equal(1, bed.Gateway.StoreAndForward.Depth(IssuerTestbed.Connector));

        await bed.StartIssuerAsync();
        await IssuerTestbed.WaitUntilAsync(() => bed.Metrics.Depth(IssuerTestbed.Connector) == 0, Within, "the reversal delivered");
        var sent = bed.Issuer.Saf.Single();
        Assert.Equal("0420", sent.Mti);
        Assert.StartsWith("0200" + legStan, sent.OriginalData, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reversal_of_a_stand_in_approval_follows_its_advice_to_the_issuer()
    {
        await using var bed = await IssuerTestbed.StartAsync(issuerUp: false);
        var (original, _) = bed.Purchase(1_000);
        var standIn = await bed.RunAsync(original);
        Assert.Equal("stand-in", standIn.Destination);
        Assert.Equal(ResponseCode.Approved, (await bed.RunAsync(bed.Reversal(original))).ResponseCode);
        Assert.Equal(2, bed.Gateway.StoreAndForward.Depth(IssuerTestbed.Connector));

        await bed.StartIssuerAsync();
        await IssuerTestbed.WaitUntilAsync(() => bed.Metrics.Depth(IssuerTestbed.Connector) == 0, Within, "advice and reversal delivered");
        var saf = bed.Issuer.Saf;
        Assert.Equal(["0220", "0420"], saf.Select(s => s.Mti));
        Assert.Equal("0220" + saf[0].Stan, saf[1].OriginalData![..10]);
    }
}

using Switch.Iso8583.Vocabulary;
using Switch.Journal.Events;

namespace Switch.Core.Tests.Issuers;

/// <summary>Store-and-forward survives a restart: rebuilt from the journal, nothing lost, nothing answered sent again.</summary>
public sealed class SafRestartTests
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_restart_in_the_middle_of_delivery_loses_nothing_and_never_delivers_an_answered_entry_again()
    {
        await using var bed = await IssuerTestbed.StartAsync(issuerUp: false);
        var originals = new List<Switch.Core.Issuers.IssuerRequest>();
        for (int i = 0; i < 3; i++)
        {
            var (request, _) = bed.Purchase(1_000 + i);
            Assert.Equal(ResponseCode.Approved, (await bed.RunAsync(request)).ResponseCode);
            originals.Add(request);
        }
        Assert.Equal(3, bed.Gateway.StoreAndForward.Depth(IssuerTestbed.Connector));

        // The issuer answers the first advice and then goes silent: the second is on the wire when the switch stops.
        bed.Issuer.SafAnswersMax = 1;
        await bed.StartIssuerAsync();
        await IssuerTestbed.WaitUntilAsync(() => bed.Issuer.Saf.Count >= 2 && bed.Gateway.StoreAndForward.Depth(IssuerTestbed.Connector) == 2, Within,
            "the first advice answered, the second sent");
        var before = bed.Issuer.Saf;
        Assert.Equal(["0220", "0220"], before.Select(s => s.Mti));

        await bed.RestartSwitchAsync();
        Assert.Equal(2, bed.Gateway.StoreAndForward.Depth(IssuerTestbed.Connector));
        Assert.Equal(3, bed.Gateway.RemoteTransactions);
        Assert.True(await bed.ConnectorInstance.WaitUsableAsync(TimeSpan.FromSeconds(10), CancellationToken.None));

        // The index came back too: the terminal's reversal of the third is matched, and queued behind the advices the
        // issuer still leaves unanswered (answering them only afterwards keeps the order deterministic).
        var reversal = await bed.RunAsync(bed.Reversal(originals[2]));
        Assert.Equal(ResponseCode.Approved, reversal.ResponseCode);
        Assert.Contains(reversal.Events, e => e.Kind == LegKind.ReversalQueued);
        bed.Issuer.SafAnswersMax = int.MaxValue;

        await IssuerTestbed.WaitUntilAsync(() => bed.Gateway.StoreAndForward.Depth(IssuerTestbed.Connector) == 0, Within, "everything delivered");
        Assert.Equal(0, bed.Metrics.Depth(IssuerTestbed.Connector));
        var saf = bed.Issuer.Saf;
        // The second advice is repeated (0221) until the issuer answers again: once, or more on a slow machine.
        int repeats = saf.Count - 4;
        Assert.InRange(repeats, 1, 10);
        Assert.Equal(["0220", "0220", .. Enumerable.Repeat("0221", repeats), "0220", "0420"], saf.Select(s => s.Mti));
        Assert.Single(saf, s => s.Stan == before[0].Stan);
        Assert.All(saf.Skip(2).Take(repeats), s => Assert.Equal(before[1].Stan, s.Stan));
        Assert.Equal("0220" + saf[^2].Stan, saf[^1].OriginalData![..10]);
        var records = await bed.JournalRecordsAsync();
        Assert.Equal(3, records.Count(r => r.Event.Kind == LegKind.AdviceAnswered));
        Assert.Single(records, r => r.Event.Kind == LegKind.ReversalAnswered);
        await bed.AssertNoCardDataKeptAsync();
    }

    [Fact]
    public async Task An_unanswered_reversal_queued_before_a_restart_goes_out_after_it()
    {
        await using var bed = await IssuerTestbed.StartAsync();
        bed.Issuer.Mode = IssuerMode.Drop;
        var (request, _) = bed.Purchase(7_700);
        Assert.Equal(ResponseCode.IssuerOrSwitchInoperative, (await bed.RunAsync(request)).ResponseCode);
        string legStan = bed.Issuer.Received.Single().Stan!;

        await bed.RestartSwitchAsync();
        Assert.Equal(1, bed.Gateway.StoreAndForward.Depth(IssuerTestbed.Connector));
        bed.Issuer.Mode = IssuerMode.Approve;
        await bed.StartIssuerAsync();
        await IssuerTestbed.WaitUntilAsync(() => bed.Gateway.StoreAndForward.Depth(IssuerTestbed.Connector) == 0, Within, "the reversal delivered");
        var sent = Assert.Single(bed.Issuer.Saf);
        Assert.Equal("0420", sent.Mti);
        Assert.StartsWith("0200" + legStan, sent.OriginalData, StringComparison.Ordinal);

        // The terminal's own reversal of it finds the switch's: 00, nothing more sent.
        var own = await bed.RunAsync(bed.Reversal(request));
        Assert.Equal(ResponseCode.Approved, own.ResponseCode);
        Assert.Empty(own.Events);
        Assert.Single(bed.Issuer.Saf);
    }
}

/// <summary>Answers to store-and-forward that come after their transmission's timeout.</summary>
public sealed class SafLateAnswerTests
{
    [Fact]
    public async Task An_answer_after_the_transmissions_timeout_still_answers_the_entry_and_it_is_not_repeated()
    {
        // The repeat would be due 10 s after the timeout; the late answer at 3.2 s settles the entry first.
        await using var bed = await IssuerTestbed.StartAsync(IssuerTestbed.FastOptions(safFirstRetryMs: 10_000), issuerUp: false);
        Assert.Equal(ResponseCode.Approved, (await bed.RunAsync(bed.Purchase(1_000).Request)).ResponseCode);
        bed.Issuer.SafAnswerDelay = TimeSpan.FromMilliseconds(3_200);
        await bed.StartIssuerAsync();
        var started = DateTime.UtcNow;
        await IssuerTestbed.WaitUntilAsync(() => bed.Gateway.StoreAndForward.Depth(IssuerTestbed.Connector) == 0, TimeSpan.FromSeconds(20), "the advice answered");
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(9), "the entry waited for its repeat");
        Assert.Equal(["0220"], bed.Issuer.Saf.Select(s => s.Mti));
        var records = await bed.JournalRecordsAsync();
        Assert.Single(records, r => r.Event.Kind == LegKind.AdviceSent);
        Assert.Single(records, r => r.Event.Kind == LegKind.AdviceAnswered);
        Assert.Equal(1, bed.Metrics.LateResponses);
    }
}

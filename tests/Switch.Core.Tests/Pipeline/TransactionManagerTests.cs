using Switch.Core.MasterData;
using Switch.Core.Pipeline;

namespace Switch.Core.Tests.Pipeline;

/// <summary>The transaction manager: bounded concurrency, failures contained to one transaction (96, logged masked), 08xx as before, ids.</summary>
public sealed class TransactionManagerTests
{
    [Fact]
    public async Task Past_the_in_flight_limit_a_request_is_answered_96_at_once()
    {
        await using var h = await PipelineHarness.CreateAsync(new CoreOptions { InFlightMax = 2 });
        h.OnUs.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var a = h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request('A', terminal: "TERM0002")));
        var b = h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request('A', terminal: "TERM0002")));
        Assert.Equal(2, h.Manager.InFlight);
        var refused = await h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request('A', terminal: "TERM0002")));
        Assert.Equal("96", refused.GetString(39));
        Assert.Equal(2, h.OnUs.Calls.Count);
        h.OnUs.Gate.SetResult();
        Assert.All(await Task.WhenAll(a, b), m => Assert.Equal("00", m.GetString(39)));
        Assert.Equal(0, h.Manager.InFlight);
        Assert.True(await h.Manager.DrainAsync(TimeSpan.FromSeconds(1), CancellationToken.None));
    }

    [Fact]
    public async Task An_exception_in_a_participant_answers_96_logs_masked_and_the_next_transaction_is_served()
    {
        await using var h = await PipelineHarness.CreateAsync();
        string pan = DemoDataSet.Card('A').Pan;
        h.OnUs.Decide = _ => throw new InvalidOperationException($"card {pan} track {DemoDataSet.Card('A').Track2} broke the authorizer");
        var failed = await h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request('A', terminal: "TERM0002")));
        Assert.Equal("96", failed.GetString(39));
        Assert.Contains("broke the authorizer", h.LogSink.All, StringComparison.Ordinal);
        Assert.DoesNotContain(pan, h.LogSink.All, StringComparison.Ordinal);
        Assert.DoesNotContain("=3012", h.LogSink.All, StringComparison.Ordinal);
        // The failed transaction is journaled as answered (96), and the pipeline goes on.
        Assert.Equal("96", h.Journal.Events.Last().ResponseCode);
        h.OnUs.Decide = _ => ScriptedOnUs.Approve();
        var next = await h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request('A', terminal: "TERM0002")));
        Assert.Equal("00", next.GetString(39));
    }

    [Fact]
    public async Task A_failing_journal_throwing_synchronously_still_answers_96()
    {
        var journal = new ThrowingJournal();
        await using var h = await PipelineHarness.CreateAsync(journal: journal);
        var answer = await h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request('A', terminal: "TERM0002")));
        Assert.Equal("96", answer.GetString(39));
        Assert.Single(h.OnUs.Aborts);
    }

    [Fact]
    public async Task Network_management_is_answered_as_before()
    {
        await using var h = await PipelineHarness.CreateAsync();
        var echo = PipelineHarness.Spec.NewMessage("0800").Set(7, "1204210000").Set(11, "000001").Set(70, "301");
        var answer = await h.SendAsync(PipelineHarness.Wire(echo));
        Assert.Equal(("0810", "00", "301"), (answer.Mti, answer.GetString(39), answer.GetString(70)));
        Assert.Empty(h.Journal.Appends);
    }

    [Fact]
    public void Transaction_ids_are_unique_increasing_and_seeded_past_an_earlier_run()
    {
        var start = new DateTime(2026, 12, 4, 21, 0, 0, DateTimeKind.Utc);
        var first = new TransactionIds(3, start);
        var ids = Enumerable.Range(0, 1000).Select(_ => first.Next()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal(ids.Order(StringComparer.Ordinal), ids);
        Assert.All(ids, id => Assert.StartsWith("3-", id, StringComparison.Ordinal));
        // No run of 13 digits: the journal refuses one in a Detail (a PAN guard), where other parts quote the id.
        Assert.All(ids, id => Assert.DoesNotMatch("[0-9]{13}", id));
        var restarted = new TransactionIds(3, start.AddSeconds(1));
        Assert.True(string.CompareOrdinal(restarted.Next(), ids[^1]) > 0);
    }

    [Theory]
    [InlineData("card 4761730000000011 failed", "card 476173******0011 failed")]
    [InlineData("track 4761730000000011=30121011004671800000", "track 476173******0011=********************")]
    [InlineData("stan 000123 and amount 000000001000", "stan 000123 and amount 000000**1000")]
    [InlineData("", "")]
    public void Log_masking_hides_PAN_like_digit_runs(string text, string masked) => Assert.Equal(masked, LogMask.Mask(text));

    private sealed class ThrowingJournal : Switch.Journal.IJournal
    {
        public Switch.Journal.JournalHealth Health => Switch.Journal.JournalHealth.Unhealthy;

        public ValueTask AppendAsync(IReadOnlyList<Switch.Journal.Events.JournalEvent> events, CancellationToken cancellationToken) =>
            throw new IOException("disk gone");
    }
}

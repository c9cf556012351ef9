using Switch.Core.Pipeline;
using Switch.Core.Transactions;
using Switch.Journal.Events;

namespace Switch.Core.Tests.Pipeline;

/// <summary>Duplicate detection: the original answer again, never authorized twice, bounded, rebuilt from the journal.</summary>
public sealed class DuplicateTests
{
    [Fact]
    public async Task A_repeat_gets_the_original_answer_byte_for_byte_and_is_not_authorized_or_journaled_again()
    {
        await using var h = await PipelineHarness.CreateAsync();
        var request = PipelineHarness.Request('A', stan: "100001");
        int approvals = 0;
        h.OnUs.Decide = _ => ScriptedOnUs.Approve(approval: $"A{Interlocked.Increment(ref approvals):D5}");
        var first = await h.SendAsync(PipelineHarness.Signed(request));
        h.Clock.Advance(TimeSpan.FromSeconds(30));
        var again = await h.SendAsync(PipelineHarness.Signed(PipelineHarness.Request('A', stan: "100001")));
        Assert.Equal(PipelineHarness.Spec.Encode(first), PipelineHarness.Spec.Encode(again));
        Assert.True(PipelineHarness.MacIsValid(again));
        Assert.Single(h.OnUs.Calls);
        Assert.Single(h.Journal.Appends);
    }

    [Fact]
    public async Task A_repeat_of_a_request_still_in_flight_waits_for_its_answer()
    {
        await using var h = await PipelineHarness.CreateAsync();
        h.OnUs.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var original = h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request('A', terminal: "TERM0002", stan: "100002")));
        var repeat = h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request('A', mti: "0201", terminal: "TERM0002", stan: "100002")));
        await Task.Delay(100);
        Assert.False(repeat.IsCompleted);
        h.OnUs.Gate.SetResult();
        var answers = await Task.WhenAll(original, repeat);
        Assert.Equal(PipelineHarness.Spec.Encode(answers[0]), PipelineHarness.Spec.Encode(answers[1]));
        Assert.Single(h.OnUs.Calls);
    }

    [Fact]
    public async Task A_repeated_reversal_is_answered_00_again_and_reaches_the_authorizer_once()
    {
        await using var h = await PipelineHarness.CreateAsync();
        string de90 = new OriginalData("0200", "000001", "1204210000", "0", "0").Format();
        var first = await h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request('A', mti: "0420", terminal: "TERM0002", stan: "100003").Set(90, de90)));
        var repeat = await h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request('A', mti: "0421", terminal: "TERM0002", stan: "100003").Set(90, de90)));
        Assert.Equal(("0430", "00"), (first.Mti, first.GetString(39)));
        Assert.Equal(("0430", "00"), (repeat.Mti, repeat.GetString(39)));
        Assert.Single(h.OnUs.Calls);
    }

    [Fact]
    public async Task A_reversal_sharing_the_purchase_STAN_is_not_a_duplicate_of_it()
    {
        await using var h = await PipelineHarness.CreateAsync();
        await h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request('A', terminal: "TERM0002", stan: "100004")));
        var reversal = PipelineHarness.Request('A', mti: "0400", terminal: "TERM0002", stan: "100004")
            .Set(90, new OriginalData("0200", "100004", "1204210000", "0", "0").Format());
        await h.SendAsync(PipelineHarness.Wire(reversal));
        Assert.Equal(2, h.OnUs.Calls.Count);
    }

    [Fact]
    public async Task After_the_window_the_same_key_is_a_new_transaction()
    {
        await using var h = await PipelineHarness.CreateAsync(new CoreOptions { DuplicateWindowMs = 60_000 });
        await h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request('A', terminal: "TERM0002", stan: "100005")));
        h.Clock.Advance(TimeSpan.FromSeconds(61));
        await h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request('A', terminal: "TERM0002", stan: "100005")));
        Assert.Equal(2, h.OnUs.Calls.Count);
    }

    [Fact]
    public async Task Another_terminal_or_acquirer_with_the_same_STAN_is_not_a_duplicate()
    {
        await using var h = await PipelineHarness.CreateAsync();
        await h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request('A', terminal: "TERM0002", stan: "100006")));
        await h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request('A', terminal: "TERM0001", stan: "100006")));
        await h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request('A', terminal: "TERM0002", stan: "100006").Set(32, "12345")));
        Assert.Equal(2, h.OnUs.Calls.Count); // TERM0001's request has no MAC: 63 before duplicate detection
        Assert.Equal(3, h.Journal.Appends.Count);
    }

    [Fact]
    public async Task A_request_whose_journal_append_failed_is_processed_afresh_when_repeated()
    {
        await using var h = await PipelineHarness.CreateAsync();
        h.Journal.Refuse = true;
        var first = await h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request('A', terminal: "TERM0002", stan: "100007")));
        Assert.Equal("96", first.GetString(39));
        h.Journal.Refuse = false;
        var retry = await h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request('A', terminal: "TERM0002", stan: "100007")));
        Assert.Equal("00", retry.GetString(39));
        Assert.Equal(2, h.OnUs.Calls.Count);
        Assert.Single(h.OnUs.Aborts);
        Assert.Single(h.OnUs.Commits);
    }

    [Fact]
    public async Task Answers_rebuilt_from_the_journal_are_replayed_with_their_decision_after_a_restart()
    {
        var journal = new MemoryJournal();
        string stan = "100008";
        await using (var before = await PipelineHarness.CreateAsync(journal: journal))
        {
            before.OnUs.Decide = _ => ScriptedOnUs.Approve(approval: "RB0001", de54: "0002840C000000099000");
            await before.SendAsync(PipelineHarness.Wire(PipelineHarness.Request('A', terminal: "TERM0002", stan: stan)));
        }
        await using var after = await PipelineHarness.CreateAsync();
        long sequence = 0;
        foreach (var e in journal.Events) after.Duplicates.Apply(new JournalRecord(new Switch.Journal.Events.EventId(7, ++sequence), e));
        var answer = await after.SendAsync(PipelineHarness.Wire(PipelineHarness.Request('A', terminal: "TERM0002", stan: stan)));
        Assert.Equal(("00", "RB0001", "0002840C000000099000"), (answer.GetString(39), answer.GetString(38), answer.GetString(54)));
        Assert.Equal(stan, answer.GetString(11));
        Assert.Empty(after.OnUs.Calls);
    }

    [Fact]
    public async Task Journal_records_older_than_the_window_are_not_remembered()
    {
        await using var h = await PipelineHarness.CreateAsync(new CoreOptions { DuplicateWindowMs = 60_000 });
        var old = new JournalEvent
        {
            Kind = LegKind.ResponseOut, TransactionId = "7-1", Mti = "0210", Stan = "100009", TerminalId = "TERM0002", ResponseCode = "00",
            TimeUtc = h.Clock.UtcNow - TimeSpan.FromMinutes(2), Detail = ResponseDetail.Format("1204210000", null),
        };
        h.Duplicates.Apply(new JournalRecord(new Switch.Journal.Events.EventId(7, 1), old));
        Assert.Equal(0, h.Duplicates.Count);
    }

    [Fact]
    public async Task A_terminal_reset_forgets_its_duplicate_memory()
    {
        await using var h = await PipelineHarness.CreateAsync();
        await h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request('A', terminal: "TERM0002", stan: "100010")));
        h.Duplicates.Apply(new JournalRecord(new Switch.Journal.Events.EventId(7, 99), new JournalEvent { Kind = LegKind.StateReset, TransactionId = "reset", TerminalId = "TERM0002" }));
        await h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request('A', terminal: "TERM0002", stan: "100010")));
        Assert.Equal(2, h.OnUs.Calls.Count);
    }

    [Fact]
    public async Task The_memory_keeps_at_most_its_configured_number_of_entries()
    {
        await using var h = await PipelineHarness.CreateAsync(new CoreOptions { DuplicateEntriesMax = 1_000 });
        for (int i = 0; i < 1_200; i++)
            await h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request('A', terminal: "TERM0002", stan: (200_000 + i).ToString(System.Globalization.CultureInfo.InvariantCulture))));
        Assert.InRange(h.Duplicates.Count, 1, 1_001);
        // The oldest was forgotten: its repeat is authorized again.
        await h.SendAsync(PipelineHarness.Wire(PipelineHarness.Request('A', terminal: "TERM0002", stan: "200000")));
        Assert.Equal(1_201, h.OnUs.Calls.Count);
    }
}

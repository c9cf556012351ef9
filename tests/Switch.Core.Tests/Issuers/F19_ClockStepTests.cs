using System.Diagnostics;
using System.Globalization;
using Switch.Core.Pipeline;
using Switch.Core.Tests.Authorization;
using Switch.Core.Tests.Pipeline;
using Switch.Core.Time;
using Switch.Core.Transactions;
using Switch.Iso8583.Vocabulary;
using Switch.Journal.Events;

namespace Switch.Core.Tests.Issuers;

/// <summary>The real monotonic clock with a wall clock the test steps (FAULTS.md F19: an NTP step, a VM resume).</summary>
internal sealed class SteppingClock : IClock
{
    private long _offsetTicks;

    public TimeSpan Offset => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    public void Step(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);

    public long MonotonicTicks => Stopwatch.GetTimestamp();

    public DateTime UtcNow => DateTime.UtcNow + Offset;
}

/// <summary>
/// FAULTS.md F19, in process (the `IClock` is the seam; `switch run` cannot be given a stepped clock): the wall clock
/// jumps ±1 h while a transaction waits for its issuer. The connector's timeout (its MUX counts
/// Environment.TickCount64, monotonic) and the gateway's wait still end at the monotonic timeout, neither early nor
/// late; the times the switch writes (the 0420's DE7, journal event times) follow the stepped UTC wall clock; duplicate
/// memory and on-us holds do not expire early.
/// </summary>
public sealed class F19_ClockStepTests
{
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(4);

    [Theory]
    [InlineData(1)]
    [InlineData(-1)]
    public async Task F19_a_wall_clock_step_during_the_issuer_wait_leaves_the_timeout_on_the_monotonic_clock_and_DE7_on_the_stepped_wall_clock(int hours)
    {
        var clock = new SteppingClock();
        await using var bed = await IssuerTestbed.StartAsync(clock: clock);
        bed.Issuer.Mode = IssuerMode.Drop;
        bed.Issuer.SafSilent = true;
        var (request, _) = bed.Purchase(2_600);

        var started = Stopwatch.StartNew();
        var pending = bed.RunAsync(request);
        await Task.Delay(300);
        Assert.False(pending.IsCompleted);
        clock.Step(TimeSpan.FromHours(hours));
        var decision = await pending;
        var waited = started.Elapsed;

        Assert.Equal(ResponseCode.IssuerOrSwitchInoperative, decision.ResponseCode);
        Assert.True(waited >= TimeSpan.FromMilliseconds(bed.TimeoutMs - 50), $"timed out after {waited.TotalMilliseconds:0} ms, before the {bed.TimeoutMs} ms timeout");
        Assert.True(waited <= TimeSpan.FromMilliseconds(bed.TimeoutMs) + Margin, $"timed out after {waited.TotalMilliseconds:0} ms");

        // The reversal's DE7 and the journal's times are the stepped wall clock's.
        var queued = Assert.Single(decision.Events, e => e.Kind == LegKind.ReversalQueued);
        var expected = DateTime.UtcNow + TimeSpan.FromHours(hours);
        Assert.InRange(queued.TimeUtc, expected - Margin, expected + Margin);
        string de7 = Field(queued.Detail, "dt");
        var sent = DateTime.ParseExact(expected.Year.ToString("D4", CultureInfo.InvariantCulture) + de7, "yyyyMMddHHmmss", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
        Assert.InRange(sent, expected - Margin - TimeSpan.FromSeconds(1), expected + Margin);
    }

    private static string Field(string detail, string name) =>
        detail.Split(';').Select(p => p.Split('=', 2)).Single(p => p[0] == name)[1];

    [Fact]
    public async Task F19_duplicate_memory_outlives_wall_clock_steps_and_expires_on_the_monotonic_clock()
    {
        await using var h = await PipelineHarness.CreateAsync(new CoreOptions { DuplicateWindowMs = 600_000 });
        var first = await h.SendAsync(PipelineHarness.Signed(PipelineHarness.Request('A', stan: "190001")));
        var firstTime = Assert.Single(h.Journal.Appends)[0].TimeUtc;
        Assert.Equal(h.Clock.Utc, firstTime);

        // +1 h and then −1 h (each beyond the 10-minute window): still the original answer, not authorized again.
        h.Clock.Utc += TimeSpan.FromHours(1);
        var afterForward = await h.SendAsync(PipelineHarness.Signed(PipelineHarness.Request('A', stan: "190001")));
        h.Clock.Utc -= TimeSpan.FromHours(2);
        var afterBack = await h.SendAsync(PipelineHarness.Signed(PipelineHarness.Request('A', stan: "190001")));
        Assert.Equal(PipelineHarness.Spec.Encode(first), PipelineHarness.Spec.Encode(afterForward));
        Assert.Equal(PipelineHarness.Spec.Encode(first), PipelineHarness.Spec.Encode(afterBack));
        Assert.Single(h.OnUs.Calls);

        // A new transaction's journal time is the stepped wall clock.
        await h.SendAsync(PipelineHarness.Signed(PipelineHarness.Request('A', stan: "190002")));
        Assert.Equal(h.Clock.Utc, h.Journal.Appends.Last()[0].TimeUtc);

        // Past the window on the monotonic clock (the wall clock put back where it was): processed afresh.
        var wall = h.Clock.Utc;
        h.Clock.Advance(TimeSpan.FromMinutes(11));
        h.Clock.Utc = wall;
        await h.SendAsync(PipelineHarness.Signed(PipelineHarness.Request('A', stan: "190001")));
        Assert.Equal(3, h.OnUs.Calls.Count);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(-1)]
    public async Task F19_an_on_us_hold_survives_a_wall_clock_step_and_is_completed_and_a_debit_is_still_reversible(int hours)
    {
        await using var f = await OnUsFixture.CreateAsync();
        var auth = f.Txn('A', TransactionKind.Authorization, 30_000);
        var purchase = f.Txn('A', TransactionKind.Purchase, 10_000);
        Assert.Equal("00", await f.CodeAsync(auth));
        Assert.Equal("00", await f.CodeAsync(purchase));
        Assert.Equal(60_000, await f.AvailableAsync('A'));

        f.Clock.UtcNow += TimeSpan.FromHours(hours);
        Assert.Equal(60_000, await f.AvailableAsync('A'));
        var completion = await f.SendAsync(f.Txn('A', TransactionKind.Advice, 25_000, pin: "", track2: false, original: OnUsFixture.OriginalOf(auth)));
        Assert.Equal("00", completion.ResponseCode);
        Assert.Equal([LegKind.BalanceRelease, LegKind.BalanceDebit], completion.Effects.Select(e => e.Kind));
        Assert.Equal("00", await f.CodeAsync(f.Txn('A', TransactionKind.Reversal, 10_000, pin: "", track2: false, original: OnUsFixture.OriginalOf(purchase))));
        Assert.Equal(75_000, await f.AvailableAsync('A'));
    }
}

using Switch.Core.Authorization;
using Switch.Core.MasterData;
using Switch.Core.Transactions;

namespace Switch.Core.Tests.Authorization;

/// <summary>One writer per partition: parallel transactions on one account never overdraw, other accounts go on, a full queue answers 96.</summary>
public sealed class OnUsPartitionTests
{
    [Fact]
    public async Task Many_parallel_purchases_on_one_account_never_overdraw_it()
    {
        await using var f = await OnUsFixture.CreateAsync(OnUsFixture.Options(partitions: 2, queueMax: 10_000));
        // Card B holds 10.00: of 400 purchases of 0.30 at once, exactly 33 fit.
        var tasks = Enumerable.Range(0, 400).Select(_ => Task.Run(() => f.CodeAsync(f.Txn('B', TransactionKind.Purchase, 30, pin: "")))).ToArray();
        var codes = await Task.WhenAll(tasks);
        Assert.Equal(33, codes.Count(c => c == "00"));
        Assert.Equal(400 - 33, codes.Count(c => c == "51"));
        Assert.Equal(10, await f.AvailableAsync('B'));
    }

    [Fact]
    public async Task Parallel_purchases_with_PINs_on_one_account_respect_the_daily_limit_exactly()
    {
        await using var f = await OnUsFixture.CreateAsync(OnUsFixture.Options(partitions: 2, queueMax: 10_000));
        var tasks = Enumerable.Range(0, 300).Select(_ => Task.Run(() => f.CodeAsync(f.Txn('A', TransactionKind.Purchase, 3_000)))).ToArray();
        var codes = await Task.WhenAll(tasks);
        int approved = codes.Count(c => c == "00");
        Assert.Equal(26, approved); // 26 × 30.00 = 780.00 ≤ 800.00 a day
        Assert.All(codes, c => Assert.True(c is "00" or "61", c));
        var balance = await f.BalanceAsync('A');
        Assert.Equal((100_000 - 78_000L, 78_000L), (balance.AvailableMinor, balance.DailyTotalMinor));
    }

    [Fact]
    public async Task Accounts_of_different_partitions_proceed_while_another_partition_is_busy()
    {
        await using var f = await OnUsFixture.CreateAsync(OnUsFixture.Options(partitions: 4));
        int pa = f.Authorizer.PartitionOf("DEMO-ACC-A");
        char other = DemoDataSet.Cards.Select(c => c.Letter).First(l => f.Authorizer.PartitionOf(DemoDataSet.Card(l).Account) != pa && DemoDataSet.Card(l).Status == CardStatus.Active && l != 'E');
        using var release = new ManualResetEventSlim();
        var busy = f.Authorizer.InspectAsync(pa, _ => release.Wait(TimeSpan.FromSeconds(30)));
        var blocked = f.CodeAsync(f.Txn('A', TransactionKind.Purchase, 100));
        Assert.Equal("00", await f.CodeAsync(f.Txn(other, TransactionKind.Purchase, 100)).WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.False(blocked.IsCompleted); // A waits behind its own partition's writer only
        release.Set();
        Assert.True(await busy);
        Assert.Equal("00", await blocked.WaitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task A_full_partition_queue_answers_96_at_once_and_the_queued_ones_are_decided()
    {
        await using var f = await OnUsFixture.CreateAsync(OnUsFixture.Options(partitions: 1, queueMax: 4));
        using var release = new ManualResetEventSlim();
        using var started = new ManualResetEventSlim();
        var busy = f.Authorizer.InspectAsync(0, _ =>
        {
            started.Set();
            return release.Wait(TimeSpan.FromSeconds(30));
        });
        // The worker has taken the blocking item off the queue: the queue is empty, and stuck until released.
        Assert.True(started.Wait(TimeSpan.FromSeconds(20)));
        var queued = Enumerable.Range(0, 4).Select(_ => f.CodeAsync(f.Txn('A', TransactionKind.Purchase, 100, pin: "", track2: false))).ToArray();
        var refused = await f.SendAsync(f.Txn('A', TransactionKind.Purchase, 100, pin: "", track2: false)).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("96", refused.ResponseCode);
        Assert.Empty(refused.Effects);
        release.Set();
        await busy;
        Assert.All(await Task.WhenAll(queued), c => Assert.Equal("00", c));
        Assert.Equal(100_000 - 400, await f.AvailableAsync('A'));
    }

    [Fact]
    public async Task An_abort_never_waits_for_a_full_queue_and_is_undone_in_turn()
    {
        await using var f = await OnUsFixture.CreateAsync(OnUsFixture.Options(partitions: 1, queueMax: 2));
        var decision = await f.Authorizer.AuthorizeAsync(f.Request(f.Txn('A', TransactionKind.Purchase, 7_000, pin: "", track2: false)), TestTimeout.Token);
        using var release = new ManualResetEventSlim();
        using var started = new ManualResetEventSlim();
        var busy = f.Authorizer.InspectAsync(0, _ =>
        {
            started.Set();
            return release.Wait(TimeSpan.FromSeconds(30));
        });
        Assert.True(started.Wait(TimeSpan.FromSeconds(20)));
        var queued = Enumerable.Range(0, 2).Select(_ => f.CodeAsync(f.Txn('A', TransactionKind.Purchase, 100, pin: "", track2: false))).ToArray();
        Assert.Equal("96", await f.CodeAsync(f.Txn('A', TransactionKind.Purchase, 100, pin: "", track2: false)));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        f.Authorizer.Abort(decision); // the journal append failed: returns at once although the queue is full
        Assert.True(watch.ElapsedMilliseconds < 5_000);
        release.Set();
        await busy;
        Assert.All(await Task.WhenAll(queued), c => Assert.Equal("00", c));
        Assert.Equal(100_000 - 200, await f.AvailableAsync('A'));
    }

    [Fact]
    public async Task A_replay_much_longer_than_the_queue_is_paced_and_complete()
    {
        await using var f = await OnUsFixture.CreateAsync(OnUsFixture.Options(partitions: 2));
        for (int i = 0; i < 300; i++) Assert.Equal("00", await f.CodeAsync(f.Txn(i % 2 == 0 ? 'A' : 'F', TransactionKind.Purchase, 10, pin: "", track2: false)));
        await using var rebuilt = f.NewAuthorizer(OnUsFixture.Options(partitions: 2, queueMax: 3));
        long sequence = 0;
        foreach (var e in f.Journal) rebuilt.Apply(new Switch.Journal.Events.JournalRecord(new Switch.Journal.Events.EventId(1, ++sequence), e));
        await rebuilt.DrainAsync(TestTimeout.Token);
        Assert.Equal(100_000 - 1_500, (await rebuilt.BalanceAsync(OnUsFixture.Account('A'), TestTimeout.Token)).AvailableMinor);
        Assert.Equal(100_000 - 1_500, (await rebuilt.BalanceAsync(OnUsFixture.Account('F'), TestTimeout.Token)).AvailableMinor);
    }

    [Fact]
    public async Task Accounts_spread_over_partitions_by_a_stable_hash()
    {
        var options = OnUsFixture.Options(partitions: 8);
        await using var module = new Switch.Security.Backends.ComposedSecurityModule(new Switch.Security.Backends.Software.SoftwareCipherEngine());
        await using var a = new OnUsAuthorizer(options, module, new EmptyRing(), new TestClock());
        await using var b = new OnUsAuthorizer(options, module, new EmptyRing(), new TestClock());
        var counts = new int[8];
        for (int i = 0; i < 8_000; i++)
        {
            string id = "ACC-" + i;
            Assert.Equal(a.PartitionOf(id), b.PartitionOf(id));
            counts[a.PartitionOf(id)]++;
        }
        Assert.All(counts, c => Assert.InRange(c, 700, 1_300));
        Assert.Equal(8, a.PartitionCount);
    }

    private sealed class EmptyRing : Switch.Core.Keys.IKeyRing
    {
        public ValueTask<Switch.Security.Keys.SecureKey> GetAsync(string name, CancellationToken ct) => throw new KeyNotFoundException(name);
    }
}

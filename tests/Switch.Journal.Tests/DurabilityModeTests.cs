using System.Diagnostics;
using Switch.Journal.Events;

namespace Switch.Journal.Tests;

/// <summary>Kafka mode: the reply waits for acks=all, and the spool's fsync takes over when Kafka is slower than the bound (I2).</summary>
[Collection("kafka")]
public sealed class DurabilityModeTests
{
    [Fact]
    public async Task Kafka_mode_completes_an_append_only_once_kafka_acknowledged_it_I2()
    {
        using var f = new KafkaJournalFixture(configure: o => { o.Mode = "kafka"; o.Kafka.AckWaitMs = 5_000; });
        for (int i = 0; i < 50; i++)
        {
            await f.Journal.AppendAsync([SampleEvents.Approval("km" + i)], CancellationToken.None);
            Assert.True(f.Journal.Forwarder.AckedThrough >= f.Journal.Spool.LastAssigned, "the append completed before Kafka acknowledged it");
        }
        f.Acknowledged.AddRange(Enumerable.Range(0, 50).Select(i => f.Journal.Spool.LastAssigned - i));
        f.AssertEveryAcknowledgedEventOnceAfterDedup();
    }

    [Fact]
    public async Task Kafka_mode_falls_back_to_the_spool_fsync_when_kafka_is_unreachable_I2()
    {
        using var f = new KafkaJournalFixture(configure: o => { o.Mode = "kafka"; o.Kafka.AckWaitMs = 30; });
        var storage = new FaultyStorage();
        f.Journal.Dispose();
        f.Open(storage);
        await f.Journal.AppendAsync([SampleEvents.Approval("warm")], CancellationToken.None);
        f.Cluster.SetAllBrokers(down: true);
        await Task.Delay(200); // periodic spool fsyncs of earlier writes are done
        int fsyncsBefore = Volatile.Read(ref storage.FsyncCalls);
        var sw = Stopwatch.StartNew();
        await f.Journal.AppendAsync([SampleEvents.Approval("down")], CancellationToken.None);
        long seq = f.Journal.Spool.LastAssigned;
        Assert.True(sw.ElapsedMilliseconds < 2_000, $"append took {sw.ElapsedMilliseconds} ms with Kafka down");
        Assert.True(f.Journal.Spool.DurableThrough >= seq, "the append completed with neither an ack nor an fsync");
        Assert.True(Volatile.Read(ref storage.FsyncCalls) > fsyncsBefore, "no fsync covered the append Kafka did not acknowledge");
        Assert.True(f.Journal.Forwarder.AckedThrough < seq);
        f.Cluster.SetAllBrokers(down: false);
        await f.Journal.Forwarder.WaitAckedAsync(seq).WaitAsync(TimeSpan.FromSeconds(60));
        f.Acknowledged.AddRange([seq - 1, seq]);
        f.AssertEveryAcknowledgedEventOnceAfterDedup();
    }

    [Fact]
    public async Task Spool_mode_completes_an_append_when_the_spool_fsynced_it_whatever_kafka_does_I2()
    {
        using var f = new KafkaJournalFixture();
        f.Cluster.SetAllBrokers(down: true);
        await f.Journal.AppendAsync([SampleEvents.Approval("s1"), SampleEvents.Approval("s1", LegKind.BalanceHold)], CancellationToken.None);
        Assert.True(f.Journal.Spool.DurableThrough >= f.Journal.Spool.LastAssigned);
        Assert.True(f.Journal.Forwarder.AckedThrough < f.Journal.Spool.LastAssigned);
        f.Cluster.SetAllBrokers(down: false);
    }

    [Fact]
    public async Task A_refused_append_is_a_faulted_task_not_a_synchronous_throw()
    {
        using var f = new KafkaJournalFixture();
        var storage = new FaultyStorage();
        f.Journal.Dispose();
        f.Open(storage);
        storage.DiskFull = true;
        await Assert.ThrowsAsync<JournalUnavailableException>(async () => await f.Journal.AppendAsync([SampleEvents.Approval("x")], CancellationToken.None));
        ValueTask second = f.Journal.AppendAsync([SampleEvents.Approval("y")], CancellationToken.None);
        Assert.True(second.IsFaulted);
        Assert.Equal(JournalHealth.Unhealthy, f.Journal.Health);
        Assert.Equal("spool disk full", f.Journal.HealthReason);
        await Assert.ThrowsAsync<JournalUnavailableException>(async () => await second);
    }

    [Fact]
    public async Task Kafka_mode_refuses_an_append_the_full_disk_refused_even_when_later_appends_succeed_I2()
    {
        using var f = new KafkaJournalFixture(configure: o => { o.Mode = "kafka"; o.Kafka.AckWaitMs = 30; });
        var storage = new FaultyStorage();
        f.Journal.Dispose();
        f.Open(storage);
        await f.Journal.AppendAsync([SampleEvents.Approval("ok")], CancellationToken.None);
        storage.DiskFull = true;
        await Assert.ThrowsAsync<JournalUnavailableException>(async () => await f.Journal.AppendAsync([SampleEvents.Approval("refused")], CancellationToken.None));
        storage.DiskFull = false;
        await SpoolFaultTests.WaitUntil(() => f.Journal.Health != JournalHealth.Unhealthy, TimeSpan.FromSeconds(5));
        await f.Journal.AppendAsync([SampleEvents.Approval("later")], CancellationToken.None);
        await f.Journal.Forwarder.WaitAckedAsync(f.Journal.Spool.LastAssigned).WaitAsync(TimeSpan.FromSeconds(30));
        var txns = Switch.Journal.Kafka.KafkaTopicScan.ReadAll(f.Cluster.BootstrapServers, KafkaJournalFixture.Topic, TimeSpan.FromSeconds(30), CancellationToken.None)
            .Select(m => m.Record.Event.TransactionId).ToList();
        Assert.Contains("ok", txns);
        Assert.Contains("later", txns);
        Assert.DoesNotContain("refused", txns);
    }
}

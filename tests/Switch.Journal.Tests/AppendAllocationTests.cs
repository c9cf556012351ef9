using Serilog.Core;
using Switch.Journal.Events;
using Switch.Journal.Spool;

namespace Switch.Journal.Tests;

/// <summary>The append path allocates nothing per event on the caller's thread: events are encoded into the group buffer.</summary>
[Collection("kafka")]
public sealed class AppendAllocationTests
{
    [Fact]
    public async Task A_spool_append_allocates_nothing_on_the_callers_thread_whatever_the_number_of_events()
    {
        using var dir = new TempDir();
        using var w = new SpoolWriter(FileSpoolStorage.Instance, SpoolWriteTests.Options(dir.Path), 1, Logger.None, ex => throw ex);
        JournalEvent[] batch = Enumerable.Range(0, 16).Select(i => SampleEvents.Approval("alloc")).ToArray();
        for (int i = 0; i < 20; i++) await w.Append(batch, out _); // warm-up: JIT, statics
        long allocated = 0;
        for (int i = 0; i < 200; i++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            Task t = w.Append(batch, out _);
            allocated += GC.GetAllocatedBytesForCurrentThread() - before;
            await t;
        }
        Assert.Equal(0, allocated);
    }

    [Fact]
    public async Task A_journal_append_in_spool_mode_allocates_nothing_on_the_callers_thread()
    {
        using var f = new KafkaJournalFixture();
        JournalEvent[] batch = [SampleEvents.Approval("j", LegKind.RequestIn), SampleEvents.Approval("j")];
        for (int i = 0; i < 20; i++) await f.Journal.AppendAsync(batch, CancellationToken.None);
        long allocated = 0;
        for (int i = 0; i < 200; i++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            ValueTask t = f.Journal.AppendAsync(batch, CancellationToken.None);
            allocated += GC.GetAllocatedBytesForCurrentThread() - before;
            await t;
        }
        Assert.Equal(0, allocated);
    }
}

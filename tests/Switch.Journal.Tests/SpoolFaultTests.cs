using Serilog.Core;
using Switch.Journal.Events;
using Switch.Journal.Spool;

namespace Switch.Journal.Tests;

/// <summary>F14 (disk full), F15 (fsync error, in process) and the torn tail; each names the invariant it checks.</summary>
public sealed class SpoolFaultTests
{
    [Fact]
    public async Task F14_disk_full_fails_closed_and_recovers_without_a_restart_I2()
    {
        using var dir = new TempDir();
        var storage = new FaultyStorage();
        using var w = new SpoolWriter(storage, SpoolWriteTests.Options(dir.Path), 1, Logger.None, ex => throw ex);
        await w.Append([SampleEvents.Approval("before")], out long ok1);
        storage.DiskFull = true;
        // I2: the append that hits the full disk is not acknowledged; it fails and the pipeline declines.
        await Assert.ThrowsAsync<JournalUnavailableException>(() => w.Append([SampleEvents.Approval("lost")], out _));
        Assert.Equal("spool disk full", w.Refusal);
        var refused = Assert.Throws<JournalUnavailableException>(() => { _ = w.Append([SampleEvents.Approval("refused")], out _); });
        Assert.Equal("spool disk full", refused.Reason);
        storage.DiskFull = false;
        await WaitUntil(() => w.Refusal is null, TimeSpan.FromSeconds(5));
        await w.Append([SampleEvents.Approval("after")], out long ok2);
        Assert.True(ok2 > ok1);
        w.Dispose();
        // Only acknowledged appends are on disk, and the tail is clean (no partial record from the failed write).
        Assert.Equal(["before", "after"], SpoolWriteTests.ReadSpool(dir.Path).Select(r => r.Event.TransactionId));
        using var again = new SpoolWriter(FileSpoolStorage.Instance, SpoolWriteTests.Options(dir.Path), 1, Logger.None, ex => throw ex);
        Assert.Equal(0, again.TruncatedBytesAtStart);
    }

    [Fact]
    public async Task F15_an_fsync_error_is_fatal_and_nothing_after_it_is_acknowledged_I2()
    {
        using var dir = new TempDir();
        var storage = new FaultyStorage();
        Exception? fatal = null;
        using var w = new SpoolWriter(storage, SpoolWriteTests.Options(dir.Path), 1, Logger.None, ex => fatal = ex);
        await w.Append([SampleEvents.Approval("before")], out _);
        storage.FsyncFails = true;
        var failed = await Assert.ThrowsAsync<JournalUnavailableException>(() => w.Append([SampleEvents.Approval("x")], out _));
        Assert.Equal("fsync failed", failed.Reason);
        Assert.IsType<IOException>(fatal);
        Assert.Throws<JournalUnavailableException>(() => { _ = w.Append([SampleEvents.Approval("y")], out _); });
        await Assert.ThrowsAsync<JournalUnavailableException>(() => w.WaitDurableAsync(long.MaxValue));
    }

    [Fact]
    public async Task A_torn_tail_is_truncated_to_the_last_good_record_at_start()
    {
        using var dir = new TempDir();
        using (var w = new SpoolWriter(FileSpoolStorage.Instance, SpoolWriteTests.Options(dir.Path), 1, Logger.None, ex => throw ex))
        {
            for (int i = 0; i < 10; i++) await w.Append([SampleEvents.Approval("t" + i)], out _);
        }
        string seg = Directory.GetFiles(dir.Path, "*.seg").Single();
        byte[] all = File.ReadAllBytes(seg);
        // A crash mid-write: half of a copy of the last record lands after the good data.
        using (var f = new FileStream(seg, FileMode.Append)) f.Write(all, all.Length - 120, 60);
        var log = new LogCapture();
        using (var w = new SpoolWriter(FileSpoolStorage.Instance, SpoolWriteTests.Options(dir.Path), 1, log.Logger, ex => throw ex))
        {
            Assert.Equal(60, w.TruncatedBytesAtStart);
            string warning = Assert.Single(log.Rendered(Serilog.Events.LogEventLevel.Warning));
            Assert.Contains("torn tail truncated", warning, StringComparison.Ordinal);
            Assert.Contains("60", warning, StringComparison.Ordinal);
            await w.Append([SampleEvents.Approval("after")], out _);
        }
        Assert.Equal(Enumerable.Range(0, 10).Select(i => "t" + i).Append("after"), SpoolWriteTests.ReadSpool(dir.Path).Select(r => r.Event.TransactionId));
    }

    [Fact]
    public async Task A_corrupt_record_cuts_the_tail_there_and_keeps_what_came_before()
    {
        using var dir = new TempDir();
        using (var w = new SpoolWriter(FileSpoolStorage.Instance, SpoolWriteTests.Options(dir.Path), 1, Logger.None, ex => throw ex))
        {
            for (int i = 0; i < 10; i++) await w.Append([SampleEvents.Approval("c" + i)], out _);
        }
        string seg = Directory.GetFiles(dir.Path, "*.seg").Single();
        byte[] bytes = File.ReadAllBytes(seg);
        bytes[^3] ^= 0xFF; // a flipped bit in the last record: the checksum no longer matches
        File.WriteAllBytes(seg, bytes);
        using (var w = new SpoolWriter(FileSpoolStorage.Instance, SpoolWriteTests.Options(dir.Path), 1, Logger.None, ex => throw ex))
        {
            Assert.True(w.TruncatedBytesAtStart > 0);
        }
        Assert.Equal(Enumerable.Range(0, 9).Select(i => "c" + i), SpoolWriteTests.ReadSpool(dir.Path).Select(r => r.Event.TransactionId));
    }

    [Fact]
    public async Task A_segment_with_a_torn_header_is_removed_and_the_previous_tail_is_used()
    {
        using var dir = new TempDir();
        long last;
        using (var w = new SpoolWriter(FileSpoolStorage.Instance, SpoolWriteTests.Options(dir.Path), 1, Logger.None, ex => throw ex))
        {
            await w.Append([SampleEvents.Approval("h")], out last);
        }
        File.WriteAllBytes(Path.Combine(dir.Path, SegmentFormat.FileName(last + 1)), [0x53, 0x57]);
        using (var w = new SpoolWriter(FileSpoolStorage.Instance, SpoolWriteTests.Options(dir.Path), 1, Logger.None, ex => throw ex))
        {
            Assert.Equal(last, w.RecoveredLastSequence);
            Assert.Single(w.Segments());
        }
    }

    [Fact]
    public void Crc32c_matches_the_standard_check_value()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));
        Assert.Equal(0u, Crc32C.Compute([]));
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));
    }

    internal static async Task WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not met in time");
            await Task.Delay(10);
        }
    }
}

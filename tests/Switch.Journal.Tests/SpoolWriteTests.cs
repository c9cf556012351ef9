using Serilog;
using Serilog.Core;
using Switch.Journal.Codec;
using Switch.Journal.Events;
using Switch.Journal.Spool;

namespace Switch.Journal.Tests;

public sealed class SpoolWriteTests
{
    internal static SpoolOptions Options(string dir, long segmentBytes = 64L * 1024 * 1024) => new()
    {
        Directory = dir, SegmentBytesMax = segmentBytes, SpoolBytesMax = segmentBytes * 100, GroupBytesMax = 64 * 1024, RetentionMs = 0, DiskFullProbeMs = 20,
    };

    internal static List<JournalRecord> ReadSpool(string dir)
    {
        var all = new List<JournalRecord>();
        foreach (string name in Directory.GetFiles(dir, "*.seg").Order(StringComparer.Ordinal))
        {
            using SegmentReader r = SegmentReader.Open(FileSpoolStorage.Instance, name, forWriting: false, out string? problem) ?? throw new InvalidOperationException(problem);
            while (r.Next() == SegmentRead.Record) all.Add(JournalEventCodec.Decode(r.Payload.Span));
        }
        return all;
    }

    [Fact]
    public async Task Appended_events_are_on_disk_in_order_with_increasing_sequences_when_the_task_completes()
    {
        using var dir = new TempDir();
        JournalEvent b = SampleEvents.Approval("b");
        using (var w = new SpoolWriter(FileSpoolStorage.Instance, Options(dir.Path), 5, Logger.None, ex => throw ex))
        {
            await w.Append([SampleEvents.Approval("a", LegKind.RequestIn), SampleEvents.Approval("a")], out long last1);
            await w.Append([b], out long last2);
            Assert.Equal(last1 + 1, last2);
            Assert.True(w.DurableThrough >= last2);
        }
        List<JournalRecord> back = ReadSpool(dir.Path);
        Assert.Equal(["a", "a", "b"], back.Select(r => r.Event.TransactionId));
        Assert.All(back, r => Assert.Equal(5u, r.Id.NodeId));
        Assert.Equal(back.Select(r => r.Id.Sequence).Order(), back.Select(r => r.Id.Sequence));
        EventCodecTests.AssertSame(b, back[2].Event);
    }

    [Fact]
    public async Task One_fsync_covers_every_append_waiting_at_that_moment()
    {
        using var dir = new TempDir();
        var storage = new FaultyStorage();
        using var w = new SpoolWriter(storage, Options(dir.Path), 1, Logger.None, ex => throw ex);
        var tasks = new List<Task>();
        var gate = new ManualResetEventSlim();
        for (int t = 0; t < 8; t++)
            tasks.Add(Task.Run(async () =>
            {
                gate.Wait();
                for (int i = 0; i < 250; i++) await w.Append([SampleEvents.Approval("t")], out _);
            }));
        gate.Set();
        await Task.WhenAll(tasks);
        Assert.Equal(2000, w.Records);
        Assert.True(w.Fsyncs < 2000, $"{w.Fsyncs} fsyncs for 2000 appends: no grouping");
        Assert.True(storage.FsyncCalls >= w.Fsyncs);
    }

    [Fact]
    public async Task Segments_roll_at_the_size_bound_and_every_record_survives()
    {
        using var dir = new TempDir();
        using (var w = new SpoolWriter(FileSpoolStorage.Instance, Options(dir.Path, 64 * 1024), 1, Logger.None, ex => throw ex))
        {
            for (int i = 0; i < 1000; i++) await w.Append([SampleEvents.Approval("r" + i)], out _);
            Assert.True(w.Segments().Length > 3);
            Assert.All(w.Segments()[..^1], s => Assert.True(s.Bytes <= 64 * 1024));
        }
        List<JournalRecord> back = ReadSpool(dir.Path);
        Assert.Equal(Enumerable.Range(0, 1000).Select(i => "r" + i), back.Select(r => r.Event.TransactionId));
        foreach (string f in Directory.GetFiles(dir.Path, "*.seg"))
            Assert.Equal(SegmentFormat.FirstSequenceOf(Path.GetFileName(f)), ReadSpoolFile(f)[0].Id.Sequence);
    }

    [Fact]
    public async Task A_restart_continues_after_the_last_sequence_and_never_reuses_one()
    {
        using var dir = new TempDir();
        long before;
        using (var w = new SpoolWriter(FileSpoolStorage.Instance, Options(dir.Path), 1, Logger.None, ex => throw ex))
        {
            await w.Append([SampleEvents.Approval("x")], out before);
        }
        using (var w = new SpoolWriter(FileSpoolStorage.Instance, Options(dir.Path), 1, Logger.None, ex => throw ex))
        {
            Assert.Equal(before, w.RecoveredLastSequence);
            await w.Append([SampleEvents.Approval("y")], out long after);
            Assert.True(after > before);
        }
        Assert.Equal(["x", "y"], ReadSpool(dir.Path).Select(r => r.Event.TransactionId));
    }

    [Fact]
    public async Task An_event_the_codec_refuses_leaves_nothing_of_its_batch()
    {
        using var dir = new TempDir();
        using (var w = new SpoolWriter(FileSpoolStorage.Instance, Options(dir.Path), 1, Logger.None, ex => throw ex))
        {
            var bad = new JournalEvent { Kind = LegKind.RequestIn, TransactionId = "bad", PanMasked = SampleEvents.TestPan };
            Assert.Throws<ArgumentException>(() => { _ = w.Append([SampleEvents.Approval("bad"), bad], out _); });
            Assert.Throws<ArgumentException>(() => { _ = w.Append([], out _); });
            await w.Append([SampleEvents.Approval("good")], out _);
        }
        Assert.Equal(["good"], ReadSpool(dir.Path).Select(r => r.Event.TransactionId));
    }

    private static List<JournalRecord> ReadSpoolFile(string path)
    {
        using SegmentReader r = SegmentReader.Open(FileSpoolStorage.Instance, path, false, out _)!;
        var list = new List<JournalRecord>();
        while (r.Next() == SegmentRead.Record) list.Add(JournalEventCodec.Decode(r.Payload.Span));
        return list;
    }
}

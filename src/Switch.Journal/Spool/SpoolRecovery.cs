using Serilog;

namespace Switch.Journal.Spool;

/// <summary>A segment on disk: its first sequence, path and (for closed segments) length.</summary>
public sealed record SegmentInfo(long FirstSequence, string Path)
{
    /// <summary>Bytes on disk (the active segment's grows).</summary>
    public long Bytes { get; set; }

    /// <summary>When the segment was closed (UTC); null while it is the active one.</summary>
    public DateTime? ClosedUtc { get; set; }
}

/// <summary>What recovery found: the segments kept and the last good record.</summary>
internal sealed record RecoveredSpool(List<SegmentInfo> Segments, long LastSequence, long ActiveLength, int TruncatedBytes);

/// <summary>
/// Start-up scan of the spool: the last segment is read record by record, and a torn or corrupt tail (a crash in the
/// middle of a write, or zeros) is truncated to the last good record with a logged warning. Earlier segments were
/// fsynced before the next one started, so they are only listed (replay checks them record by record).
/// </summary>
internal static class SpoolRecovery
{
    public static RecoveredSpool Recover(ISpoolStorage storage, string directory, ILogger log)
    {
        storage.CreateDirectory(directory);
        var segments = new List<SegmentInfo>();
        foreach (string name in storage.List(directory, SegmentFormat.Suffix))
        {
            long first = SegmentFormat.FirstSequenceOf(name);
            if (first < 0)
            {
                log.Warning("Spool: ignoring {File}, not a segment name", name);
                continue;
            }
            segments.Add(new SegmentInfo(first, Path.Combine(directory, name)));
        }
        long last = 0;
        long activeLength = 0;
        int truncated = 0;
        while (segments.Count > 0)
        {
            SegmentInfo tail = segments[^1];
            using SegmentReader? reader = SegmentReader.Open(storage, tail.Path, forWriting: true, out string? problem);
            if (reader is null)
            {
                // A crash while a new segment was created leaves a file without a whole header: nothing in it was acknowledged.
                log.Warning("Spool: deleting {File} with an invalid header ({Problem})", Path.GetFileName(tail.Path), problem);
                storage.Delete(tail.Path);
                storage.SyncDirectory(directory);
                segments.RemoveAt(segments.Count - 1);
                continue;
            }
            SegmentRead r;
            while ((r = reader.Next()) == SegmentRead.Record) { }
            using (ISpoolFile f = storage.OpenRead(tail.Path)) activeLength = f.Length;
            if (r == SegmentRead.Bad)
            {
                truncated = (int)(activeLength - reader.Offset);
                log.Warning("Spool: torn tail truncated: {Problem}; {Bytes} bytes cut, last good sequence {Sequence}", reader.Problem, truncated, reader.LastSequence);
                reader.TruncateHere();
                activeLength = reader.Offset;
            }
            last = reader.LastSequence;
            break;
        }
        for (int i = 0; i < segments.Count; i++)
        {
            using ISpoolFile f = storage.OpenRead(segments[i].Path);
            segments[i].Bytes = f.Length;
            if (i < segments.Count - 1) segments[i].ClosedUtc = File.Exists(segments[i].Path) ? File.GetLastWriteTimeUtc(segments[i].Path) : DateTime.UtcNow;
        }
        if (last == 0 && segments.Count > 0) last = segments[^1].FirstSequence - 1;
        return new RecoveredSpool(segments, last, activeLength, truncated);
    }
}

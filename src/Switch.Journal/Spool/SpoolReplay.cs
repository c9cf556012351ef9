using Switch.Journal.Codec;
using Switch.Journal.Events;

namespace Switch.Journal.Spool;

/// <summary>Reads a spool directory's records in sequence order (replay, tools such as journal verify). Read-only.</summary>
public static class SpoolReplay
{
    /// <summary>
    /// Records with <paramref name="fromSequence"/> ≤ sequence ≤ <paramref name="throughSequence"/>. A bad record ends a
    /// segment's reading: at the tail that is a torn write the writer will truncate; <paramref name="problems"/> gets it.
    /// </summary>
    public static IEnumerable<JournalRecord> Read(ISpoolStorage storage, string directory, long fromSequence, long throughSequence, List<string>? problems = null)
    {
        SegmentInfo[] segments = storage.List(directory, SegmentFormat.Suffix)
            .Select(n => new SegmentInfo(SegmentFormat.FirstSequenceOf(n), Path.Combine(directory, n)))
            .Where(s => s.FirstSequence >= 0).OrderBy(s => s.FirstSequence).ToArray();
        return Read(storage, segments, fromSequence, throughSequence, problems);
    }

    /// <summary>As <see cref="Read(ISpoolStorage, string, long, long, List{string}?)"/> over a known segment list.</summary>
    public static IEnumerable<JournalRecord> Read(ISpoolStorage storage, SegmentInfo[] segments, long fromSequence, long throughSequence, List<string>? problems = null)
    {
        for (int i = 0; i < segments.Length; i++)
        {
            if (i + 1 < segments.Length && segments[i + 1].FirstSequence <= fromSequence) continue;
            if (segments[i].FirstSequence > throughSequence) yield break;
            using SegmentReader? reader = SegmentReader.Open(storage, segments[i].Path, forWriting: false, out string? problem);
            if (reader is null)
            {
                problems?.Add($"{Path.GetFileName(segments[i].Path)}: {problem}");
                continue;
            }
            SegmentRead r;
            while ((r = reader.Next()) == SegmentRead.Record)
            {
                long seq = reader.LastSequence;
                if (seq > throughSequence) yield break;
                if (seq >= fromSequence) yield return JournalEventCodec.Decode(reader.Payload.Span);
            }
            if (r == SegmentRead.Bad) problems?.Add(reader.Problem);
        }
    }
}

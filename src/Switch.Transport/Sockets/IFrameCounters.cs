namespace Switch.Transport.Sockets;

/// <summary>The counters a <see cref="FramedConnection"/> updates itself: frames sent and deadlines passed.</summary>
public interface IFrameCounters
{
    /// <summary>Counts a batch of sent frames at once (one flush).</summary>
    void FramesOut(int frames, long bytes);

    /// <summary>Counts a connection closed by its idle or partial-frame deadline.</summary>
    void Timeout();
}

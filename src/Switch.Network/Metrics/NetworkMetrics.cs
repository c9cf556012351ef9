using Switch.Transport.Sockets;

namespace Switch.Network.Metrics;

/// <summary>
/// Counters of one listener or connector, read by the future Prometheus exporter through
/// <see cref="Snapshot"/>. Updated with interlocked adds: cheap enough for every frame.
/// </summary>
public sealed class NetworkMetrics(string name) : IFrameCounters
{
    private long _connectionsOpened;
    private long _connectionsClosed;
    private long _connectionsRefused;
    private long _framesIn;
    private long _framesOut;
    private long _bytesIn;
    private long _bytesOut;
    private long _timeouts;
    private long _rejects;
    private long _malformedFrames;
    private long _lateResponses;
    private long _keepAlives;
    private long _responsesDropped;

    /// <summary>Name of the listener or connector.</summary>
    public string Name { get; } = name;

    internal void ConnectionOpened() => Interlocked.Increment(ref _connectionsOpened);

    internal void ConnectionClosed() => Interlocked.Increment(ref _connectionsClosed);

    internal void ConnectionRefused() => Interlocked.Increment(ref _connectionsRefused);

    /// <summary>Counts a batch of received frames at once: the counters are shared by every connection (one cache line bounced between cores per update).</summary>
    internal void FramesIn(int frames, long bytes)
    {
        if (frames == 0) return;
        Interlocked.Add(ref _framesIn, frames);
        Interlocked.Add(ref _bytesIn, bytes);
    }

    /// <summary>Counts a batch of sent frames at once (see <see cref="FramesIn"/>).</summary>
    internal void FramesOut(int frames, long bytes)
    {
        if (frames == 0) return;
        Interlocked.Add(ref _framesOut, frames);
        Interlocked.Add(ref _bytesOut, bytes);
    }

    internal void Timeout() => Interlocked.Increment(ref _timeouts);

    void IFrameCounters.FramesOut(int frames, long bytes) => FramesOut(frames, bytes);

    void IFrameCounters.Timeout() => Timeout();

    internal void Reject() => Interlocked.Increment(ref _rejects);

    internal void MalformedFrame() => Interlocked.Increment(ref _malformedFrames);

    internal void LateResponse() => Interlocked.Increment(ref _lateResponses);

    /// <summary>Counts zero-length frames taken as keep-alives (one add per read that had any).</summary>
    internal void KeepAlives(int frames)
    {
        if (frames != 0) Interlocked.Add(ref _keepAlives, frames);
    }

    internal void ResponseDropped() => Interlocked.Increment(ref _responsesDropped);

    /// <summary>A consistent-enough copy of every counter (each read atomically, not all at one instant).</summary>
    public NetworkMetricsSnapshot Snapshot()
    {
        long opened = Volatile.Read(ref _connectionsOpened), closed = Volatile.Read(ref _connectionsClosed);
        return new NetworkMetricsSnapshot(Name, opened, closed, opened - closed, Volatile.Read(ref _connectionsRefused),
            Volatile.Read(ref _framesIn), Volatile.Read(ref _framesOut), Volatile.Read(ref _bytesIn), Volatile.Read(ref _bytesOut),
            Volatile.Read(ref _timeouts), Volatile.Read(ref _rejects), Volatile.Read(ref _malformedFrames), Volatile.Read(ref _lateResponses),
            Volatile.Read(ref _keepAlives), Volatile.Read(ref _responsesDropped));
    }
}

/// <summary>Counter values at one moment; <see cref="ConnectionsOpen"/> is a gauge.</summary>
public sealed record NetworkMetricsSnapshot(
    string Name,
    long ConnectionsOpened,
    long ConnectionsClosed,
    long ConnectionsOpen,
    long ConnectionsRefused,
    long FramesIn,
    long FramesOut,
    long BytesIn,
    long BytesOut,
    long Timeouts,
    long Rejects,
    long MalformedFrames,
    long LateResponses,
    long KeepAlives,
    long ResponsesDropped);

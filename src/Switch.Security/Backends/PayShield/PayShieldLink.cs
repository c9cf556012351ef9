using System.Buffers;
using System.Text;
using Switch.Transport.Framing;
using Switch.Transport.Sockets;

namespace Switch.Security.Backends.PayShield;

/// <summary>
/// The payShield host link's framing, shared by the client and the simulator: Switch.Transport's 2-byte big-endian
/// binary length (excluding itself), then the message (payShield header, command code, fields; all ASCII). The
/// payShield message header is part of the message, not a transport header: the HSM answers a message too short to
/// hold it with an error code instead of dropping the link.
/// </summary>
public static class PayShieldLink
{
    /// <summary>Largest message either side accepts (payShield's own limit is 32 KiB).</summary>
    public const int MessageBytesMax = 32 * 1024;

    /// <summary>
    /// Binary length, no transport header; a zero-length frame is malformed (payShield has no keep-alive), so it
    /// closes the connection like an oversize one.
    /// </summary>
    public static FrameFormat Format { get; } = new(new BinaryLengthFramer(MessageBytesMax), FrameHeader.None, zeroLengthIsKeepAlive: false);

    /// <summary>The message as text (the link is ASCII).</summary>
    public static string Text(in ReadOnlySequence<byte> message) => Encoding.ASCII.GetString(message);

    /// <summary>The message's ASCII bytes, checked against the frame limits before anything is framed.</summary>
    public static byte[] Bytes(string message)
    {
        CheckLength(message.Length);
        return Encoding.ASCII.GetBytes(message);
    }

    /// <summary>Refuses a message the link cannot carry, naming the limit.</summary>
    public static void CheckLength(int length)
    {
        if (length is 0 or > MessageBytesMax) throw new SecurityInputException($"payshield: message of {length} bytes outside 1-{MessageBytesMax}");
    }
}

/// <summary>Frames sent and deadline closes on payShield links, counted by the <see cref="FramedConnection"/>s themselves.</summary>
public sealed class PayShieldLinkCounters : IFrameCounters
{
    private long _frames, _bytes, _timeouts;

    /// <summary>Frames sent.</summary>
    public long FramesSent => Interlocked.Read(ref _frames);

    /// <summary>Bytes sent, length prefixes included.</summary>
    public long BytesSent => Interlocked.Read(ref _bytes);

    /// <summary>Connections closed by an idle or partial-frame deadline.</summary>
    public long Timeouts => Interlocked.Read(ref _timeouts);

    /// <inheritdoc/>
    public void FramesOut(int frames, long bytes)
    {
        Interlocked.Add(ref _frames, frames);
        Interlocked.Add(ref _bytes, bytes);
    }

    /// <inheritdoc/>
    public void Timeout() => Interlocked.Increment(ref _timeouts);
}

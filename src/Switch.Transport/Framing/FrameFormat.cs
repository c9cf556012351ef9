using System.Buffers;

namespace Switch.Transport.Framing;

/// <summary>
/// A connection's complete framing: length prefix rule plus header rule, with one maximum frame size, and what a
/// zero-length frame means: a keep-alive (the default; a jPOS ChannelAdaptor sends one when idle) or a malformed frame.
/// </summary>
public sealed class FrameFormat(ILengthFramer length, FrameHeader header, bool zeroLengthIsKeepAlive = true)
{
    /// <summary>The length prefix rule.</summary>
    public ILengthFramer Length { get; } = length;

    /// <summary>The header rule.</summary>
    public FrameHeader Header { get; } = header;

    /// <summary>True when a zero-length frame is a keep-alive; false when it closes the connection.</summary>
    public bool ZeroLengthIsKeepAlive { get; } = zeroLengthIsKeepAlive;

    /// <summary>Bytes before the message on the wire (prefix plus header).</summary>
    public int OverheadBytes => Length.PrefixBytes + Header.Length;

    /// <summary>
    /// Takes one frame from the front of <paramref name="buffer"/>: copies its header into
    /// <paramref name="header"/> (which must hold <see cref="FrameHeader.Length"/> bytes) and returns the
    /// message bytes; a keep-alive frame gives an empty message (the caller counts it and reads on). False when more
    /// bytes are needed.
    /// </summary>
    public bool TryReadMessage(ref ReadOnlySequence<byte> buffer, Span<byte> header, out ReadOnlySequence<byte> message)
    {
        message = default;
        if (!Length.TryReadFrame(ref buffer, out var frame)) return false;
        if (frame.IsEmpty)
        {
            if (ZeroLengthIsKeepAlive) return true;
            throw new FrameFormatException("frame length 0: a frame must carry at least one byte (zero-length keep-alives are refused on this connection)");
        }
        if (frame.Length <= Header.Length)
            throw new FrameFormatException($"frame of {frame.Length} bytes holds no message after its {Header.Length}-byte header");
        if (Header.Length > 0)
        {
            frame.Slice(0, Header.Length).CopyTo(header);
            Header.Validate(header[..Header.Length]);
        }
        message = frame.Slice(Header.Length);
        return true;
    }

    /// <summary>Writes prefix, header and message into <paramref name="writer"/>.</summary>
    public void WriteFrame(IBufferWriter<byte> writer, ReadOnlySpan<byte> header, ReadOnlySpan<byte> message)
    {
        int frameBytes = Header.Length + message.Length;
        int total = Length.PrefixBytes + frameBytes;
        var span = writer.GetSpan(total);
        Length.WritePrefix(span, frameBytes);
        header[..Header.Length].CopyTo(span[Length.PrefixBytes..]);
        message.CopyTo(span[OverheadBytes..]);
        writer.Advance(total);
    }
}

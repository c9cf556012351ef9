using System.Buffers.Binary;
using Switch.Transport.Framing;

namespace Switch.Iso20022.Network;

/// <summary>4-byte big-endian binary length before each XML frame (the usual framing of ISO 20022 over raw TCP).</summary>
public sealed class FourByteLengthFramer(int frameBytesMax) : PrefixLengthFramer(frameBytesMax, 4, int.MaxValue)
{
    /// <inheritdoc/>
    protected override int ParseLength(ReadOnlySpan<byte> prefix)
    {
        uint announced = BinaryPrimitives.ReadUInt32BigEndian(prefix);
        // Refused here, before any byte of the frame is buffered: the cap applies to the announced length.
        if (announced > int.MaxValue) throw new FrameFormatException($"frame length {announced} exceeds the maximum of {FrameBytesMax} bytes");
        return (int)announced;
    }

    /// <inheritdoc/>
    protected override void FormatLength(Span<byte> prefix, int frameBytes) => BinaryPrimitives.WriteUInt32BigEndian(prefix, (uint)frameBytes);

    /// <summary>The framing of an ISO 20022 TCP connection: 4-byte length, no header, a zero-length frame is a keep-alive.</summary>
    public static FrameFormat Format(int frameBytesMax) => new(new FourByteLengthFramer(frameBytesMax), FrameHeader.None);
}

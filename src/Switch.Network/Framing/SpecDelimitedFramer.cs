using System.Buffers;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;
using Switch.Transport.Framing;

namespace Switch.Network.Framing;

/// <summary>
/// No length prefix: the message delimits itself (as jPOS channels whose packager reads the stream).
/// The frame is <paramref name="headerBytes"/> of fixed header followed by one message whose end is
/// found by walking the spec's bitmap and field prefixes.
/// </summary>
public sealed class SpecDelimitedFramer(MessageSpec spec, int headerBytes, int frameBytesMax) : ILengthFramer
{
    /// <inheritdoc/>
    public int PrefixBytes => 0;

    /// <inheritdoc/>
    public int FrameBytesMax { get; } = frameBytesMax;

    /// <inheritdoc/>
    public bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame)
    {
        frame = default;
        if (buffer.Length <= headerBytes) return false;
        int probeBytes = (int)Math.Min(buffer.Length, FrameBytesMax);
        var probe = buffer.Slice(0, probeBytes);
        ReadOnlyMemory<byte> bytes = probe.IsSingleSegment ? probe.First : probe.ToArray();
        var status = spec.TryMeasure(bytes.Span[headerBytes..], out int length, out var error);
        if (status == MeasureStatus.Malformed) throw new FrameFormatException($"message cannot be delimited: {error!.Message}");
        if (status == MeasureStatus.NeedMoreData)
        {
            if (probeBytes >= FrameBytesMax) throw new FrameFormatException($"no complete message within the maximum of {FrameBytesMax} bytes");
            return false;
        }
        frame = buffer.Slice(0, headerBytes + length);
        buffer = buffer.Slice(frame.End);
        return true;
    }

    /// <inheritdoc/>
    public void WritePrefix(Span<byte> destination, int frameBytes)
    {
        if (frameBytes <= 0 || frameBytes > FrameBytesMax)
            throw new FrameFormatException($"outgoing frame of {frameBytes} bytes is outside 1..{FrameBytesMax}");
    }
}

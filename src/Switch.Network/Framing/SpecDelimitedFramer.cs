using System.Buffers;
using Switch.Iso8583;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;

namespace Switch.Network.Framing;

/// <summary>
/// No length prefix: the message delimits itself (as jPOS channels whose packager reads the stream).
/// The frame is <paramref name="headerBytes"/> of fixed header followed by one message whose end is
/// found by walking the spec's bitmap and field prefixes.
/// </summary>
public sealed class SpecDelimitedFramer(MessageSpec spec, int headerBytes, int maxFrameBytes) : ILengthFramer
{
    /// <inheritdoc/>
    public int PrefixBytes => 0;

    /// <inheritdoc/>
    public int MaxFrameBytes { get; } = maxFrameBytes;

    /// <inheritdoc/>
    public bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame)
    {
        frame = default;
        if (buffer.Length <= headerBytes) return false;
        int probeBytes = (int)Math.Min(buffer.Length, MaxFrameBytes);
        var probe = buffer.Slice(0, probeBytes);
        ReadOnlyMemory<byte> bytes = probe.IsSingleSegment ? probe.First : probe.ToArray();
        int? length = MeasureMessage(bytes[headerBytes..]);
        if (length is null)
        {
            if (probeBytes >= MaxFrameBytes) throw new FrameFormatException($"no complete message within the maximum of {MaxFrameBytes} bytes");
            return false;
        }
        frame = buffer.Slice(0, headerBytes + length.Value);
        buffer = buffer.Slice(frame.End);
        return true;
    }

    /// <inheritdoc/>
    public void WritePrefix(Span<byte> destination, int frameBytes)
    {
        if (frameBytes <= 0 || frameBytes > MaxFrameBytes)
            throw new FrameFormatException($"outgoing frame of {frameBytes} bytes is outside 1..{MaxFrameBytes}");
    }

    /// <summary>
    /// The message's length in bytes, or null when more bytes are needed. The engine has no "measure"
    /// call, so this decodes the index and reads the boundary from its error: trailing bytes mean the
    /// message ended at the error's offset, "cut short" means it has not fully arrived.
    /// </summary>
    private int? MeasureMessage(ReadOnlyMemory<byte> bytes)
    {
        try
        {
            spec.Decode(bytes, DecodeMode.Index);
            return bytes.Length;
        }
        catch (IsoFormatException ex) when (ex.Reason.Contains("trailing bytes", StringComparison.Ordinal) && ex.Offset > 0)
        {
            return ex.Offset;
        }
        catch (IsoFormatException ex) when (ex.Reason.Contains("cut short", StringComparison.Ordinal))
        {
            return null;
        }
        catch (IsoFormatException ex)
        {
            throw new FrameFormatException($"message cannot be delimited: {ex.Message}");
        }
    }
}

using System.Buffers;
using System.Buffers.Binary;

namespace Switch.Transport.Framing;

/// <summary>Shared read logic of the framers whose prefix is a fixed number of bytes holding the length.</summary>
public abstract class PrefixLengthFramer : ILengthFramer
{
    /// <summary>Creates a framer that rejects frames larger than <paramref name="frameBytesMax"/>.</summary>
    protected PrefixLengthFramer(int frameBytesMax, int prefixBytes, int prefixMaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(frameBytesMax, 1);
        PrefixBytes = prefixBytes;
        // The prefix cannot announce more than its digits hold, whatever the configuration says.
        FrameBytesMax = Math.Min(frameBytesMax, prefixMaxValue);
    }

    /// <inheritdoc/>
    public int PrefixBytes { get; }

    /// <inheritdoc/>
    public int FrameBytesMax { get; }

    /// <inheritdoc/>
    public bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame)
    {
        frame = default;
        if (buffer.Length < PrefixBytes) return false;
        Span<byte> prefix = stackalloc byte[PrefixBytes];
        buffer.Slice(0, PrefixBytes).CopyTo(prefix);
        int length = ParseLength(prefix);
        if (length > FrameBytesMax) throw new FrameFormatException($"frame length {length} exceeds the maximum of {FrameBytesMax} bytes");
        if (buffer.Length < PrefixBytes + length) return false;
        frame = buffer.Slice(PrefixBytes, length);
        buffer = buffer.Slice(frame.End);
        return true;
    }

    /// <inheritdoc/>
    public void WritePrefix(Span<byte> destination, int frameBytes)
    {
        if (frameBytes <= 0 || frameBytes > FrameBytesMax)
            throw new FrameFormatException($"outgoing frame of {frameBytes} bytes is outside 1..{FrameBytesMax}");
        FormatLength(destination[..PrefixBytes], frameBytes);
    }

    /// <summary>The frame length (payload bytes, prefix excluded, 0 for a keep-alive) the prefix announces; throws for bad digits.</summary>
    protected abstract int ParseLength(ReadOnlySpan<byte> prefix);

    /// <summary>Writes the prefix for a payload of <paramref name="frameBytes"/>.</summary>
    protected abstract void FormatLength(Span<byte> prefix, int frameBytes);
}

/// <summary>2-byte big-endian binary length; optionally the length counts the two prefix bytes too.</summary>
public sealed class BinaryLengthFramer(int frameBytesMax, bool lengthIncludesPrefix = false)
    : PrefixLengthFramer(frameBytesMax, 2, lengthIncludesPrefix ? ushort.MaxValue - 2 : ushort.MaxValue)
{
    /// <summary>True when the announced length counts the prefix itself.</summary>
    public bool LengthIncludesPrefix { get; } = lengthIncludesPrefix;

    /// <inheritdoc/>
    protected override int ParseLength(ReadOnlySpan<byte> prefix)
    {
        int announced = BinaryPrimitives.ReadUInt16BigEndian(prefix);
        if (!LengthIncludesPrefix) return announced;
        if (announced < 2) throw new FrameFormatException($"inclusive length {announced} is shorter than its own 2-byte prefix");
        return announced - 2;
    }

    /// <inheritdoc/>
    protected override void FormatLength(Span<byte> prefix, int frameBytes) =>
        BinaryPrimitives.WriteUInt16BigEndian(prefix, (ushort)(LengthIncludesPrefix ? frameBytes + 2 : frameBytes));
}

/// <summary>2-byte packed BCD length (0000–9999).</summary>
public sealed class BcdLengthFramer(int frameBytesMax) : PrefixLengthFramer(frameBytesMax, 2, 9999)
{
    /// <inheritdoc/>
    protected override int ParseLength(ReadOnlySpan<byte> prefix)
    {
        int value = 0;
        foreach (byte b in prefix)
        {
            int hi = b >> 4, lo = b & 0x0F;
            if (hi > 9 || lo > 9) throw new FrameFormatException($"length prefix {Convert.ToHexString(prefix)} is not BCD");
            value = (value * 100) + (hi * 10) + lo;
        }
        return value;
    }

    /// <inheritdoc/>
    protected override void FormatLength(Span<byte> prefix, int frameBytes)
    {
        prefix[0] = (byte)(((frameBytes / 1000) << 4) | (frameBytes / 100 % 10));
        prefix[1] = (byte)(((frameBytes / 10 % 10) << 4) | (frameBytes % 10));
    }
}

/// <summary>4 ASCII decimal digits of length (0000–9999).</summary>
public sealed class AsciiLengthFramer(int frameBytesMax) : PrefixLengthFramer(frameBytesMax, 4, 9999)
{
    /// <inheritdoc/>
    protected override int ParseLength(ReadOnlySpan<byte> prefix)
    {
        int value = 0;
        foreach (byte b in prefix)
        {
            if (b is < (byte)'0' or > (byte)'9')
                throw new FrameFormatException($"length prefix {Convert.ToHexString(prefix)} is not 4 ASCII digits");
            value = (value * 10) + (b - '0');
        }
        return value;
    }

    /// <inheritdoc/>
    protected override void FormatLength(Span<byte> prefix, int frameBytes)
    {
        for (int i = 3; i >= 0; i--)
        {
            prefix[i] = (byte)('0' + (frameBytes % 10));
            frameBytes /= 10;
        }
    }
}

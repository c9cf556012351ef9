namespace Switch.Transport.Framing;

/// <summary>What sits between the length prefix and the message.</summary>
public enum FrameHeaderKind
{
    /// <summary>Nothing: the frame is the message.</summary>
    None,

    /// <summary>A fixed number of opaque bytes, kept per connection and echoed unchanged on replies.</summary>
    Fixed,

    /// <summary>5-byte TPDU (ID 0x60, destination NII, source NII), echoed with the NIIs swapped on replies.</summary>
    Tpdu,
}

/// <summary>The header rule of a framing: its length, how a received header is checked, and how a reply's header is made.</summary>
public sealed class FrameHeader
{
    /// <summary>TPDU identifier byte for transactions.</summary>
    public const byte TpduId = 0x60;

    /// <summary>No header.</summary>
    public static readonly FrameHeader None = new(FrameHeaderKind.None, 0);

    /// <summary>The 5-byte TPDU header.</summary>
    public static readonly FrameHeader Tpdu = new(FrameHeaderKind.Tpdu, 5);

    private FrameHeader(FrameHeaderKind kind, int length)
    {
        Kind = kind;
        Length = length;
    }

    /// <summary>A fixed opaque header of <paramref name="length"/> bytes.</summary>
    public static FrameHeader Fixed(int length)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(length, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, 64);
        return new FrameHeader(FrameHeaderKind.Fixed, length);
    }

    /// <summary>The kind of header.</summary>
    public FrameHeaderKind Kind { get; }

    /// <summary>Header bytes at the start of every frame.</summary>
    public int Length { get; }

    /// <summary>Checks a received header; throws <see cref="FrameFormatException"/> when it is not valid.</summary>
    public void Validate(ReadOnlySpan<byte> header)
    {
        if (Kind == FrameHeaderKind.Tpdu && header[0] != TpduId)
            throw new FrameFormatException($"TPDU starts with 0x{header[0]:X2}, expected 0x{TpduId:X2}");
    }

    /// <summary>Writes the header of a reply to a frame that came with <paramref name="received"/>.</summary>
    public void WriteReply(ReadOnlySpan<byte> received, Span<byte> destination)
    {
        received.CopyTo(destination);
        if (Kind != FrameHeaderKind.Tpdu) return;
        // The reply travels back: the request's source NII becomes the destination and vice versa.
        destination[1] = received[3];
        destination[2] = received[4];
        destination[3] = received[1];
        destination[4] = received[2];
    }
}

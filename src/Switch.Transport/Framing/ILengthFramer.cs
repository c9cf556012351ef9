using System.Buffers;

namespace Switch.Transport.Framing;

/// <summary>Finds frame boundaries in a byte stream and writes the length prefix of outgoing frames.</summary>
public interface ILengthFramer
{
    /// <summary>Bytes of length prefix before each frame (0 when the frame delimits itself).</summary>
    int PrefixBytes { get; }

    /// <summary>
    /// Takes one whole frame (without its prefix) from the front of <paramref name="buffer"/> and moves
    /// <paramref name="buffer"/> past it (an empty frame when the prefix announces 0); false when more bytes are needed. Throws
    /// <see cref="FrameFormatException"/> when the bytes can never form a valid frame.
    /// </summary>
    bool TryReadFrame(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame);

    /// <summary>Writes the prefix announcing a frame of <paramref name="frameBytes"/> bytes.</summary>
    void WritePrefix(Span<byte> destination, int frameBytes);

    /// <summary>Largest frame this framer accepts or writes.</summary>
    int FrameBytesMax { get; }
}

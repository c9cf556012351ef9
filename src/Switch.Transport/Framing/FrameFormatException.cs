namespace Switch.Transport.Framing;

/// <summary>A frame that breaks the framing rules (oversize, zero length, bad length digits, bad header); the connection is closed.</summary>
public sealed class FrameFormatException(string reason) : Exception(reason)
{
    /// <summary>What is wrong with the frame.</summary>
    public string Reason { get; } = reason;
}

using Switch.Iso8583.Spec;
using Switch.Network.Framing;
using Switch.Transport.Framing;

namespace Switch.Network.Config;

/// <summary>Turns framing options into a <see cref="FrameFormat"/>.</summary>
public static class FramingFactory
{
    /// <summary>Accepted values of framing.length.</summary>
    public static readonly IReadOnlyList<string> LengthKinds = ["binary2", "binary2-inclusive", "bcd2", "ascii4", "none"];

    /// <summary>Accepted values of framing.header.</summary>
    public static readonly IReadOnlyList<string> HeaderKinds = ["none", "tpdu", "fixed"];

    /// <summary>Accepted values of framing.zeroLengthFrames.</summary>
    public static readonly IReadOnlyList<string> ZeroLengthFrameKinds = ["keep-alive", "close"];

    /// <summary>Header bytes the options describe.</summary>
    public static int HeaderBytes(FramingOptions options) => options.Header switch
    {
        "tpdu" => 5,
        "fixed" => options.HeaderBytes,
        _ => 0,
    };

    /// <summary>Builds the frame format of validated options.</summary>
    public static FrameFormat Create(FramingOptions options, MessageSpec spec)
    {
        var header = options.Header switch
        {
            "tpdu" => FrameHeader.Tpdu,
            "fixed" => FrameHeader.Fixed(options.HeaderBytes),
            _ => FrameHeader.None,
        };
        ILengthFramer length = options.Length switch
        {
            "binary2" => new BinaryLengthFramer(options.FrameBytesMax),
            "binary2-inclusive" => new BinaryLengthFramer(options.FrameBytesMax, lengthIncludesPrefix: true),
            "bcd2" => new BcdLengthFramer(options.FrameBytesMax),
            "ascii4" => new AsciiLengthFramer(options.FrameBytesMax),
            "none" => new SpecDelimitedFramer(spec, header.Length, options.FrameBytesMax),
            _ => throw new ArgumentException($"unknown framing length '{options.Length}'", nameof(options)),
        };
        return new FrameFormat(length, header, zeroLengthIsKeepAlive: options.ZeroLengthFrames != "close");
    }
}

using System.Buffers;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;
using Switch.Iso8583.Vocabulary;

namespace Switch.Network.Management;

/// <summary>The network management (0800) vocabulary and responses built from requests (MTI arithmetic is <see cref="Mti"/>).</summary>
public static class MessageTypes
{
    /// <summary>DE 70 sign-on.</summary>
    public const string SignOn = "001";

    /// <summary>DE 70 sign-off.</summary>
    public const string SignOff = "002";

    /// <summary>DE 70 echo test.</summary>
    public const string EchoTest = "301";

    /// <summary>Fields a response carries back from its request when present.</summary>
    private static readonly int[] EchoedFields = [3, 4, 7, 11, 12, 13, 32, 37, 41, 42, 49, 70];

    /// <summary>A response to <paramref name="request"/> with the echoed fields copied and DE 39 set.</summary>
    /// <remarks>
    /// Echoed fields are copied as wire bytes (no string made, no re-encode); the response shares the
    /// request's bytes, which the acceptor owns (the request is detached from the pipe).
    /// </remarks>
    public static IsoMessage Respond(IsoMessage request, string responseCode)
    {
        string mti = Mti.ResponseOf(request.Mti) ?? throw new ArgumentException($"MTI {request.Mti} is not a request", nameof(request));
        return request.CreateResponse(mti, EchoedFields).Set(39, responseCode);
    }

    /// <summary>True for an 0800 network management request.</summary>
    public static bool IsNetworkManagementRequest(IsoMessage message) => message.Mti is "0800" or "1804";

    /// <summary>
    /// Reads the MTI of a message that failed to decode, from its raw bytes, so a format error can
    /// still be answered; null when it cannot be read or is not four digits.
    /// </summary>
    public static string? TryReadMti(MessageSpec spec, in ReadOnlySequence<byte> message)
    {
        // The header and the MTI are all that is read: a short prefix of the message is enough.
        int length = (int)Math.Min(message.Length, spec.HeaderLength + 64L);
        ReadOnlySpan<byte> bytes;
        if (message.FirstSpan.Length >= length)
        {
            bytes = message.FirstSpan[..length];
        }
        else
        {
            var copy = new byte[length];
            message.Slice(0, length).CopyTo(copy);
            bytes = copy;
        }
        return spec.TryReadMti(bytes, out string? mti) && mti is { Length: 4 } && !mti.AsSpan().ContainsAnyExceptInRange('0', '9') ? mti : null;
    }
}

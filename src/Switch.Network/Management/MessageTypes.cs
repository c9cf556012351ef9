using System.Buffers;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;

namespace Switch.Network.Management;

/// <summary>MTI arithmetic and the network management (0800) vocabulary.</summary>
public static class MessageTypes
{
    /// <summary>DE 70 sign-on.</summary>
    public const string SignOn = "001";

    /// <summary>DE 70 sign-off.</summary>
    public const string SignOff = "002";

    /// <summary>DE 70 echo test.</summary>
    public const string EchoTest = "301";

    /// <summary>DE 39 approved / successful.</summary>
    public const string Approved = "00";

    /// <summary>DE 39 format error.</summary>
    public const string FormatError = "30";

    /// <summary>DE 39 switch inoperative (no transaction pipeline is plugged in).</summary>
    public const string SwitchInoperative = "91";

    /// <summary>DE 39 system malfunction (the handler failed).</summary>
    public const string SystemMalfunction = "96";

    /// <summary>Fields a response carries back from its request when present.</summary>
    private static readonly int[] EchoedFields = [3, 4, 7, 11, 12, 13, 32, 37, 41, 42, 49, 70];

    /// <summary>True for an MTI whose function digit says request or advice (x0xx, x2xx), i.e. it expects a response.</summary>
    public static bool IsRequest(string? mti) => mti is { Length: 4 } && mti[2] is '0' or '2';

    /// <summary>True for a response or advice response (xx1x, xx3x).</summary>
    public static bool IsResponse(string? mti) => mti is { Length: 4 } && mti[2] is '1' or '3';

    /// <summary>The response MTI of a request MTI (request MTI + 10: 0200 → 0210, 0800 → 0810); null when not a request.</summary>
    public static string? ResponseMti(string? mti)
    {
        if (!IsRequest(mti)) return null;
        return string.Create(4, mti!, static (span, m) =>
        {
            m.AsSpan().CopyTo(span);
            span[2] = (char)(m[2] + 1);
        });
    }

    /// <summary>A response to <paramref name="request"/> with the echoed fields copied and DE 39 set.</summary>
    /// <remarks>
    /// Echoed fields are copied as wire bytes (no string made, no re-encode); the response shares the
    /// request's bytes, which the acceptor owns (the request is detached from the pipe).
    /// </remarks>
    public static IsoMessage Respond(IsoMessage request, string responseCode)
    {
        string mti = ResponseMti(request.Mti) ?? throw new ArgumentException($"MTI {request.Mti} is not a request", nameof(request));
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

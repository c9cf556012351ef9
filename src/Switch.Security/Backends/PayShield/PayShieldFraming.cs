using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Switch.Security.Backends.PayShield;

/// <summary>What <see cref="PayShieldFraming.TryParse"/> found at the start of a buffer.</summary>
public enum PayShieldFrameStatus
{
    /// <summary>A whole frame is there.</summary>
    Complete,
    /// <summary>More bytes are needed.</summary>
    Incomplete,
    /// <summary>The length prefix is 0 or larger than <see cref="PayShieldFraming.MessageBytesMax"/>: close the connection.</summary>
    Invalid,
}

/// <summary>
/// payShield host framing, the one copy the client and the simulator share: a 2-byte big-endian length, then the
/// message header (a fixed number of characters the HSM echoes back, used to match pipelined responses), the
/// two-letter command code and the fields, all ASCII.
/// </summary>
public static class PayShieldFraming
{
    /// <summary>Largest message either side accepts (payShield's own limit is 32 KiB).</summary>
    public const int MessageBytesMax = 32 * 1024;

    /// <summary>Bytes of the length prefix.</summary>
    public const int PrefixBytes = 2;

    /// <summary>Appends one framed message to <paramref name="output"/>.</summary>
    public static void Append(IBufferWriter<byte> output, string message)
    {
        int length = Encoding.ASCII.GetByteCount(message);
        if (length is 0 or > MessageBytesMax) throw new SecurityInputException($"payshield: message of {length} bytes outside 1-{MessageBytesMax}");
        Span<byte> target = output.GetSpan(PrefixBytes + length);
        BinaryPrimitives.WriteUInt16BigEndian(target, (ushort)length);
        Encoding.ASCII.GetBytes(message, target[PrefixBytes..]);
        output.Advance(PrefixBytes + length);
    }

    /// <summary>Looks for one frame at the start of <paramref name="buffer"/>; on Complete, <paramref name="frameBytes"/> is prefix + message.</summary>
    public static PayShieldFrameStatus TryParse(ReadOnlySpan<byte> buffer, out int frameBytes, out string? message)
    {
        frameBytes = 0;
        message = null;
        if (buffer.Length < PrefixBytes) return PayShieldFrameStatus.Incomplete;
        int length = BinaryPrimitives.ReadUInt16BigEndian(buffer);
        if (length is 0 or > MessageBytesMax) return PayShieldFrameStatus.Invalid;
        if (buffer.Length - PrefixBytes < length) return PayShieldFrameStatus.Incomplete;
        frameBytes = PrefixBytes + length;
        message = Encoding.ASCII.GetString(buffer.Slice(PrefixBytes, length));
        return PayShieldFrameStatus.Complete;
    }

    /// <summary>Writes one framed message.</summary>
    public static async ValueTask WriteAsync(Stream stream, string message, CancellationToken ct)
    {
        var frame = new ArrayBufferWriter<byte>(PrefixBytes + message.Length);
        Append(frame, message);
        await stream.WriteAsync(frame.WrittenMemory, ct).ConfigureAwait(false);
    }

    /// <summary>Reads one framed message; null at a clean end of stream.</summary>
    public static async ValueTask<string?> ReadAsync(Stream stream, byte[] buffer, CancellationToken ct)
    {
        if (!await FillAsync(stream, buffer.AsMemory(0, PrefixBytes), ct).ConfigureAwait(false)) return null;
        int length = BinaryPrimitives.ReadUInt16BigEndian(buffer);
        if (length == 0 || length > MessageBytesMax || length > buffer.Length) throw new InvalidDataException($"payshield: frame length {length} outside 1-{MessageBytesMax}");
        if (!await FillAsync(stream, buffer.AsMemory(0, length), ct).ConfigureAwait(false)) throw new EndOfStreamException("payshield: connection closed inside a frame");
        return Encoding.ASCII.GetString(buffer, 0, length);
    }

    private static async ValueTask<bool> FillAsync(Stream stream, Memory<byte> target, CancellationToken ct)
    {
        int read = 0;
        while (read < target.Length)
        {
            int n = await stream.ReadAsync(target[read..], ct).ConfigureAwait(false);
            if (n == 0)
            {
                if (read == 0) return false;
                throw new EndOfStreamException("payshield: connection closed inside a frame");
            }
            read += n;
        }
        return true;
    }
}

/// <summary>Reads fields left to right from a command or response body; malformed input raises error 15.</summary>
public sealed class PayShieldReader(string text, int start)
{
    private int _position = start;

    /// <summary>True when every character was consumed.</summary>
    public bool AtEnd => _position >= text.Length;

    /// <summary>Takes exactly <paramref name="count"/> characters.</summary>
    public string Take(int count)
    {
        if (count < 0 || _position + count > text.Length) throw new PayShieldProtocolException("15", "message too short");
        string s = text.Substring(_position, count);
        _position += count;
        return s;
    }

    /// <summary>Takes a decimal number of <paramref name="digits"/> characters.</summary>
    public int TakeNumber(int digits)
    {
        string s = Take(digits);
        return int.TryParse(s, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int v) ? v : throw new PayShieldProtocolException("15", "expected digits");
    }

    /// <summary>Takes a hexadecimal number of <paramref name="digits"/> characters.</summary>
    public int TakeHexNumber(int digits)
    {
        string s = Take(digits);
        return int.TryParse(s, System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out int v) ? v : throw new PayShieldProtocolException("15", "expected hex digits");
    }

    /// <summary>Takes a key under the LMK: Switch key block 'S' + 4-digit total length + header + hex.</summary>
    public string TakeKey()
    {
        if (_position >= text.Length) throw new PayShieldProtocolException("15", "key missing");
        if (text[_position] != 'S') throw new PayShieldProtocolException("26", "key scheme not supported (only 'S' key blocks)");
        if (_position + 5 > text.Length || !int.TryParse(text.AsSpan(_position + 1, 4), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int length) || length < 8)
        {
            throw new PayShieldProtocolException("15", "malformed key block length");
        }
        return Take(length);
    }

    /// <summary>Takes characters up to (not including) the delimiter, then skips it.</summary>
    public string TakeUntil(char delimiter, int maxLength)
    {
        int end = text.IndexOf(delimiter, _position);
        if (end < 0 || end - _position > maxLength) throw new PayShieldProtocolException("15", $"delimiter '{delimiter}' missing");
        string s = text[_position..end];
        _position = end + 1;
        return s;
    }

    /// <summary>Takes the rest of the message.</summary>
    public string Rest()
    {
        string s = text[_position..];
        _position = text.Length;
        return s;
    }
}

/// <summary>A payShield error code raised while handling a command (simulator side) or read from a response (client side).</summary>
public sealed class PayShieldProtocolException(string errorCode, string message) : Exception(message)
{
    /// <summary>The two-character payShield error code.</summary>
    public string ErrorCode { get; } = errorCode;
}

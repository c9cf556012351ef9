namespace Switch.Security.Backends.PayShield;

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

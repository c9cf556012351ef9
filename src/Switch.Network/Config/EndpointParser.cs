using System.Globalization;

namespace Switch.Network.Config;

/// <summary>Parses "host:port" and "[v6]:port".</summary>
public static class EndpointParser
{
    /// <summary>Splits an endpoint; false when it is not host:port with a port 1..65535.</summary>
    public static bool TryParse(string? text, out string host, out int port)
    {
        host = "";
        port = 0;
        if (string.IsNullOrWhiteSpace(text)) return false;
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1) return false;
        host = text[..colon].Trim('[', ']');
        return host.Length > 0
            && int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port)
            && port is >= 1 and <= 65535;
    }
}

using System.Text;
using Switch.Iso8583.Message;
using Switch.Network.Management;

namespace Switch.Network.Mux;

/// <summary>
/// The matching key of a request and its response: the response-class MTI followed by the values of
/// the configured fields (default DE 11 STAN + DE 41 terminal id; DE 37 RRN or DE 32 acquirer id as
/// options), as jPOS QMUX does. An absent field contributes an empty value.
/// </summary>
public sealed class MuxKey
{
    private readonly int[] _fields;

    /// <summary>Creates a key over the given fields.</summary>
    public MuxKey(IEnumerable<int> fields)
    {
        _fields = fields.ToArray();
        if (_fields.Length == 0) throw new ArgumentException("a MUX key needs at least one field", nameof(fields));
    }

    /// <summary>The default key: DE 11 and DE 41.</summary>
    public static MuxKey Default { get; } = new([11, 41]);

    /// <summary>The fields after the MTI.</summary>
    public IReadOnlyList<int> Fields => _fields;

    /// <summary>The key the response to <paramref name="request"/> will carry; null when the MTI expects no response.</summary>
    public string? ForRequest(IsoMessage request)
    {
        string? mti = request.Mti;
        // The response MTI (request + 10) is written straight into the key: one string per request.
        return MessageTypes.IsRequest(mti) ? Build(mti!, request, responseClass: true) : null;
    }

    /// <summary>The key of a received response.</summary>
    public string ForResponse(IsoMessage response) => Build(response.Mti ?? "", response, responseClass: false);

    private string Build(string mti, IsoMessage message, bool responseClass)
    {
        if (_fields.Length == 2)
        {
            string a = message.GetString(_fields[0]) ?? "", b = message.GetString(_fields[1]) ?? "";
            return string.Create(mti.Length + a.Length + b.Length + 2, (mti, a, b, responseClass), static (span, p) =>
            {
                p.mti.AsSpan().CopyTo(span);
                if (p.responseClass) span[2] = (char)(p.mti[2] + 1);
                int at = p.mti.Length;
                span[at++] = '|';
                p.a.AsSpan().CopyTo(span[at..]);
                at += p.a.Length;
                span[at++] = '|';
                p.b.AsSpan().CopyTo(span[at..]);
            });
        }
        var key = new StringBuilder(responseClass ? MessageTypes.ResponseMti(mti) : mti, 48);
        foreach (int field in _fields) key.Append('|').Append(message.GetString(field));
        return key.ToString();
    }
}

using Switch.Common.Configuration;

namespace Switch.Iso20022;

/// <summary>
/// The "iso20022" section: the reader's limits, the TCP listeners and the HTTP server that take ISO 20022 in, the
/// ISO 20022 endpoints BIC routes may name, and the router's limits; bound with <see cref="FromSection"/>.
/// </summary>
public sealed class Iso20022Options
{
    /// <summary>Largest document accepted, in bytes (the frame is refused before parsing when larger).</summary>
    public int DocumentBytesMax { get; set; } = 1024 * 1024;

    /// <summary>Deepest element nesting accepted (XmlReader itself has no depth limit; the reader counts).</summary>
    public int ElementDepthMax { get; set; } = 64;

    /// <summary>Most errors collected from one document before the reader stops.</summary>
    public int ErrorsMax { get; set; } = 50;

    /// <summary>TCP listeners (4-byte big-endian length, XML payload; a frame is capped at <see cref="DocumentBytesMax"/>).</summary>
    public List<Iso20022ListenerOptions> Listeners { get; set; } = [];

    /// <summary>The HTTP server (<c>POST /iso20022</c>); null for none.</summary>
    public Iso20022HttpOptions? Http { get; set; }

    /// <summary>ISO 20022 peers a BIC or member-id route may name as its destination.</summary>
    public List<Iso20022EndpointOptions> Endpoints { get; set; } = [];

    /// <summary>The router's limits.</summary>
    public Iso20022RouterOptions Router { get; set; } = new();

    /// <summary>The defaults: 1 MiB, depth 64, 50 errors.</summary>
    public static Iso20022Options Default { get; } = new();

    /// <summary>Binds and validates the host's section; problems name the key.</summary>
    public static Iso20022Options FromSection(ConfigSection section)
    {
        var options = section.Bind<Iso20022Options>();
        options.Validate(section);
        return options;
    }

    /// <summary>Throws a <see cref="ConfigException"/> naming the first out-of-range limit.</summary>
    public void Validate(ConfigSection section)
    {
        if (DocumentBytesMax is < 1024 or > 64 * 1024 * 1024) throw section.Error("documentBytesMax", "must be between 1024 and 67108864 bytes");
        if (ElementDepthMax is < 8 or > 1024) throw section.Error("elementDepthMax", "must be between 8 and 1024");
        if (ErrorsMax is < 1 or > 10_000) throw section.Error("errorsMax", "must be between 1 and 10000");
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < Listeners.Count; i++) Listeners[i].Validate(section, $"listeners[{i}]", names);
        Http?.Validate(section, "http");
        var endpoints = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < Endpoints.Count; i++) Endpoints[i].Validate(section, $"endpoints[{i}]", endpoints);
        Router.Validate(section, "router");
    }

    internal static void RequireName(ConfigSection section, string key, string name, HashSet<string> seen)
    {
        if (name.Length is 0 or > 64 || !char.IsAsciiLetterOrDigit(name[0]) || name.Any(c => !char.IsAsciiLetterOrDigit(c) && c is not ('.' or '-' or '_')))
            throw section.Error(key + ".name", "must be 1 to 64 letters, digits, '.', '-' or '_', starting with a letter or digit");
        if (!seen.Add(name)) throw section.Error(key + ".name", $"'{name}' is used twice");
    }

    internal static void RequireRange(ConfigSection section, string key, int value, int min, int max)
    {
        if (value < min || value > max) throw section.Error(key, $"must be between {min} and {max}");
    }

    internal static void RequireAddress(ConfigSection section, string key, string bind)
    {
        if (!System.Net.IPAddress.TryParse(bind, out _)) throw section.Error(key, $"'{bind}' is not an IP address");
    }
}

/// <summary>One ISO 20022 TCP listener: every frame is a 4-byte big-endian length and that many bytes of XML.</summary>
public sealed class Iso20022ListenerOptions
{
    /// <summary>Name used in logs and the journal.</summary>
    public string Name { get; set; } = "";

    /// <summary>IP address to bind.</summary>
    public string Bind { get; set; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks a free port (tests).</summary>
    public int Port { get; set; }

    /// <summary>Most connections open at once; more are refused at accept.</summary>
    public int ConnectionsMax { get; set; } = 256;

    /// <summary>A connection silent this long (and owed no answer) is closed.</summary>
    public int IdleTimeoutMs { get; set; } = 300_000;

    /// <summary>A frame started but not completed within this is a slow sender: the connection is closed.</summary>
    public int PartialFrameTimeoutMs { get; set; } = 10_000;

    internal void Validate(ConfigSection section, string key, HashSet<string> names)
    {
        Iso20022Options.RequireName(section, key, Name, names);
        Iso20022Options.RequireAddress(section, key + ".bind", Bind);
        Iso20022Options.RequireRange(section, key + ".port", Port, 0, 65535);
        Iso20022Options.RequireRange(section, key + ".connectionsMax", ConnectionsMax, 1, 100_000);
        Iso20022Options.RequireRange(section, key + ".idleTimeoutMs", IdleTimeoutMs, 1000, 86_400_000);
        Iso20022Options.RequireRange(section, key + ".partialFrameTimeoutMs", PartialFrameTimeoutMs, 100, 600_000);
    }
}

/// <summary>The HTTP server: <c>POST /iso20022</c> with <c>Content-Type: application/xml</c>; the body is capped at <see cref="Iso20022Options.DocumentBytesMax"/>.</summary>
public sealed class Iso20022HttpOptions
{
    /// <summary>IP address to bind.</summary>
    public string Bind { get; set; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks a free port (tests).</summary>
    public int Port { get; set; }

    /// <summary>Most connections open at once.</summary>
    public int ConnectionsMax { get; set; } = 256;

    /// <summary>Longest wait for a request's headers (a slow client is dropped).</summary>
    public int HeadersTimeoutMs { get; set; } = 10_000;

    internal void Validate(ConfigSection section, string key)
    {
        Iso20022Options.RequireAddress(section, key + ".bind", Bind);
        Iso20022Options.RequireRange(section, key + ".port", Port, 0, 65535);
        Iso20022Options.RequireRange(section, key + ".connectionsMax", ConnectionsMax, 1, 100_000);
        Iso20022Options.RequireRange(section, key + ".headersTimeoutMs", HeadersTimeoutMs, 100, 600_000);
    }
}

/// <summary>An ISO 20022 peer a route sends to: over HTTP (<see cref="Url"/>) or TCP with 4-byte framing (<see cref="Address"/>).</summary>
public sealed class Iso20022EndpointOptions
{
    /// <summary>The destination name routes use.</summary>
    public string Name { get; set; } = "";

    /// <summary><c>http</c> or <c>tcp</c>.</summary>
    public string Transport { get; set; } = "http";

    /// <summary>For http: the absolute URL the document is POSTed to (http:// or https://).</summary>
    public string? Url { get; set; }

    /// <summary>For tcp: "host:port".</summary>
    public string? Address { get; set; }

    /// <summary>Longest wait for the answer (connecting included); past it the payment is rejected AB05.</summary>
    public int TimeoutMs { get; set; } = 10_000;

    /// <summary>Most requests in flight to this peer (tcp: connections); more wait, within the timeout.</summary>
    public int ConnectionsMax { get; set; } = 16;

    internal void Validate(ConfigSection section, string key, HashSet<string> names)
    {
        Iso20022Options.RequireName(section, key, Name, names);
        Iso20022Options.RequireRange(section, key + ".timeoutMs", TimeoutMs, 10, 600_000);
        Iso20022Options.RequireRange(section, key + ".connectionsMax", ConnectionsMax, 1, 10_000);
        switch (Transport)
        {
            case "http":
                if (!Uri.TryCreate(Url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                    throw section.Error(key + ".url", "must be an absolute http:// or https:// URL");
                break;
            case "tcp":
                int colon = Address?.LastIndexOf(':') ?? -1;
                if (colon <= 0 || !int.TryParse(Address![(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
                    throw section.Error(key + ".address", "must be \"host:port\"");
                break;
            default:
                throw section.Error(key + ".transport", $"'{Transport}' is not http or tcp");
        }
    }
}

/// <summary>The router's limits.</summary>
public sealed class Iso20022RouterOptions
{
    /// <summary>Longest wait for an ISO 8583 connector's answer to a translated payment; past it the payment is rejected AB05.</summary>
    public int Iso8583TimeoutMs { get; set; } = 10_000;

    internal void Validate(ConfigSection section, string key) =>
        Iso20022Options.RequireRange(section, key + ".iso8583TimeoutMs", Iso8583TimeoutMs, 10, 600_000);
}

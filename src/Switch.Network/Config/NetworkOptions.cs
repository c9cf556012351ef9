using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Serialization;

namespace Switch.Network.Config;

/// <summary>How frames are delimited on a connection.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class FramingOptions
{
    /// <summary>binary2 | binary2-inclusive | bcd2 | ascii4 | none (message delimits itself).</summary>
    public string Length { get; set; } = "binary2";

    /// <summary>none | tpdu | fixed.</summary>
    public string Header { get; set; } = "none";

    /// <summary>Bytes of a fixed header (only with header = fixed).</summary>
    public int HeaderBytes { get; set; }

    /// <summary>Header sent on requests this side starts (connectors), as hex, e.g. TPDU "6000010000".</summary>
    public string? OutgoingHeaderHex { get; set; }

    /// <summary>
    /// keep-alive (default): a frame of length 0 is counted and ignored, as a jPOS ChannelAdaptor sends one when idle;
    /// close: it closes the connection as a malformed frame.
    /// </summary>
    public string ZeroLengthFrames { get; set; } = "keep-alive";

    /// <summary>Largest frame accepted or sent, header included.</summary>
    public int FrameBytesMax { get; set; } = 8192;
}

/// <summary>Resource limits of a listener; every one has a safe default.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class LimitOptions
{
    /// <summary>Open connections on the listener; more are accepted and closed at once.</summary>
    public int ConnectionsMax { get; set; } = 2000;

    /// <summary>Open connections from one remote IP address.</summary>
    public int ConnectionsPerIpMax { get; set; } = 1000;

    /// <summary>A connection that sends nothing for this long is closed (half-open peers).</summary>
    public int IdleTimeoutMs { get; set; } = 300_000;

    /// <summary>A frame that has started must be complete within this time (slowloris).</summary>
    public int PartialFrameTimeoutMs { get; set; } = 10_000;

    /// <summary>Requests of one connection being handled at once; the connection is not read beyond this.</summary>
    public int InFlightPerConnectionMax { get; set; } = 64;

    /// <summary>At shutdown, how long in-flight requests may finish before connections are closed.</summary>
    public int DrainTimeoutMs { get; set; } = 5_000;
}

/// <summary>TLS for a listener (server) or connector (client).</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class TlsOptions
{
    /// <summary>Off when false (the default).</summary>
    public bool Enabled { get; set; }

    /// <summary>PKCS#12 (.pfx) file with this side's certificate and private key (required on a listener).</summary>
    public string? CertificatePath { get; set; }

    /// <summary>Name of the environment variable holding the PKCS#12 password (never the password itself).</summary>
    public string? CertificatePasswordEnv { get; set; }

    /// <summary>
    /// The PKCS#12 password: resolved by the host from <see cref="CertificatePasswordEnv"/> when the section is bound
    /// (the library reads no environment variables), or set in code; never read from the file.
    /// </summary>
    [JsonIgnore]
    public string? CertificatePassword { get; set; }

    /// <summary>PEM file of the CA(s) that the peer's certificate must chain to; the system store when absent.</summary>
    public string? CaCertificatePath { get; set; }

    /// <summary>Listener: demand a client certificate issued by the CA (mutual TLS).</summary>
    public bool RequireClientCertificate { get; set; }

    /// <summary>Connector: the server name expected in the server certificate.</summary>
    public string? TargetHost { get; set; }

    /// <summary>Certificate given in code (tests, embedding); wins over <see cref="CertificatePath"/>.</summary>
    [JsonIgnore]
    public X509Certificate2? Certificate { get; set; }

    /// <summary>CA certificates given in code; win over <see cref="CaCertificatePath"/>.</summary>
    [JsonIgnore]
    public X509Certificate2Collection? TrustedCa { get; set; }
}

/// <summary>One server socket: where it listens, how it frames and decodes, its limits and TLS.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class ListenerOptions
{
    /// <summary>Name used in logs and metrics.</summary>
    public string Name { get; set; } = "";

    /// <summary>IP address to bind.</summary>
    public string Bind { get; set; } = "127.0.0.1";

    /// <summary>TCP port; 0 picks a free port (tests).</summary>
    public int Port { get; set; }

    /// <summary>Built-in spec name or spec file.</summary>
    public string Spec { get; set; } = "iso8583-1987-binary";

    /// <summary>Framing of every connection.</summary>
    public FramingOptions Framing { get; set; } = new();

    /// <summary>Resource limits.</summary>
    public LimitOptions Limits { get; set; } = new();

    /// <summary>TLS; plain TCP when absent or disabled.</summary>
    public TlsOptions? Tls { get; set; }
}

/// <summary>Network management of a connector: sign-on, echo, sign-off.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class NetworkManagementOptions
{
    /// <summary>Send 0800 sign-on (DE70 001) after connecting and count the connection usable only after 0810 DE39=00.</summary>
    public bool SignOnRequired { get; set; } = true;

    /// <summary>Interval of 0800 echo tests (DE70 301) on an idle-or-not connection; 0 turns echo off.</summary>
    public int EchoIntervalMs { get; set; } = 30_000;

    /// <summary>Consecutive failed echoes after which the connection is dropped and re-established.</summary>
    public int EchoFailuresMax { get; set; } = 3;

    /// <summary>Wait for an 0810 before counting the exchange failed.</summary>
    public int ResponseTimeoutMs { get; set; } = 5_000;

    /// <summary>Terminal or institution id put in DE41 of network messages, when the peer expects one.</summary>
    public string? TerminalId { get; set; }
}

/// <summary>Request/response matching of a connector.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class MuxOptions
{
    /// <summary>Fields whose values, after the response-class MTI, form the matching key (jPOS QMUX key).</summary>
    public List<int> KeyFields { get; set; } = [11, 41];

    /// <summary>Default wait for a response.</summary>
    public int TimeoutMs { get; set; } = 30_000;

    /// <summary>Requests awaiting a response at once; more are refused.</summary>
    public int PendingMax { get; set; } = 10_000;
}

/// <summary>Reconnection policy: capped exponential backoff with jitter.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class ReconnectOptions
{
    /// <summary>First delay after a failed or lost connection.</summary>
    public int InitialDelayMs { get; set; } = 250;

    /// <summary>Cap of the doubling delay.</summary>
    public int DelayMsMax { get; set; } = 30_000;

    /// <summary>Connect attempt timeout.</summary>
    public int ConnectTimeoutMs { get; set; } = 5_000;
}

/// <summary>One outbound destination: its endpoints, connections, framing, spec, TLS, MUX and network management.</summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed class ConnectorOptions
{
    /// <summary>Name used in logs, metrics and routes.</summary>
    public string Name { get; set; } = "";

    /// <summary>"host:port" of each endpoint; with primary-backup the first is the primary.</summary>
    public List<string> Endpoints { get; set; } = [];

    /// <summary>Connections kept open to each endpoint.</summary>
    public int ConnectionsPerEndpoint { get; set; } = 1;

    /// <summary>round-robin | primary-backup.</summary>
    public string Strategy { get; set; } = "round-robin";

    /// <summary>Built-in spec name or spec file.</summary>
    public string Spec { get; set; } = "iso8583-1987-binary";

    /// <summary>Framing of every connection.</summary>
    public FramingOptions Framing { get; set; } = new();

    /// <summary>Partial frame and idle limits (the in-flight limit is the MUX's pending table).</summary>
    public LimitOptions Limits { get; set; } = new();

    /// <summary>TLS; plain TCP when absent or disabled.</summary>
    public TlsOptions? Tls { get; set; }

    /// <summary>Sign-on, echo, sign-off.</summary>
    public NetworkManagementOptions NetworkManagement { get; set; } = new();

    /// <summary>Request/response matching.</summary>
    public MuxOptions Mux { get; set; } = new();

    /// <summary>Reconnection policy.</summary>
    public ReconnectOptions Reconnect { get; set; } = new();
}

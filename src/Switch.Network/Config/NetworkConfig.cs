using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Switch.Common.Configuration;
using Switch.Iso8583;
using Switch.Iso8583.Spec;

namespace Switch.Network.Config;

/// <summary>The "network" section of the host's configuration: the listeners and connectors.</summary>
public sealed class NetworkConfig
{
    /// <summary>Server sockets that terminals and acquirers connect to.</summary>
    public List<ListenerOptions> Listeners { get; set; } = [];

    /// <summary>Outbound connections to issuers, acquirers and schemes.</summary>
    public List<ConnectorOptions> Connectors { get; set; } = [];

    /// <summary>
    /// Binds and validates the host's "network" section; every spec named is resolved through <paramref name="specs"/>
    /// now (the registry the listeners, connectors and pipeline then share). Throws <see cref="ConfigException"/>
    /// naming the file, the key (<c>network.listeners[0].port</c>) and the problem. <paramref name="secrets"/> is the
    /// host's look-up of a named secret (an environment variable): the TLS passwords named by
    /// <c>certificatePasswordEnv</c> are resolved through it here, so the library itself reads no environment.
    /// </summary>
    public static NetworkConfig FromSection(ConfigSection section, SpecRegistry specs, Func<string, string?> secrets)
    {
        var config = section.Bind<NetworkConfig>();
        foreach (var tls in TlsSections(config))
        {
            if (tls.CertificatePasswordEnv is { } name) tls.CertificatePassword = secrets(name);
        }
        config.Validate(section, specs);
        return config;
    }

    private static IEnumerable<TlsOptions> TlsSections(NetworkConfig config)
    {
        foreach (var l in config.Listeners ?? []) if (l?.Tls is { } tls) yield return tls;
        foreach (var c in config.Connectors ?? []) if (c?.Tls is { } tls) yield return tls;
    }

    /// <summary>
    /// Checks every value and resolves every spec through <paramref name="specs"/>; the first problem found is thrown
    /// as <paramref name="section"/>'s error (file, full key, problem). Options built in code are checked with it too.
    /// </summary>
    public void Validate(ConfigSection section, SpecRegistry specs)
    {
        var config = this;
        var v = new Validator(section, specs);
        if (config.Listeners is null) v.Fail("listeners", "is null; expected a list");
        if (config.Connectors is null) v.Fail("connectors", "is null; expected a list");
        var seenNames = new HashSet<string>(StringComparer.Ordinal);
        var seenBinds = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < config.Listeners.Count; i++)
        {
            var l = config.Listeners[i];
            string at = $"listeners[{i}]";
            if (l is null) v.Fail(at, "is null");
            ValidateListener(v, at, l!);
            if (!seenNames.Add(l!.Name)) v.Fail($"{at}.name", $"'{l.Name}' is used twice");
            if (l.Port != 0 && !seenBinds.Add($"{l.Bind}:{l.Port}")) v.Fail($"{at}.port", $"{l.Bind}:{l.Port} is bound by another listener");
        }
        for (int i = 0; i < config.Connectors.Count; i++)
        {
            var c = config.Connectors[i];
            string at = $"connectors[{i}]";
            if (c is null) v.Fail(at, "is null");
            ValidateConnector(v, at, c!);
            if (!seenNames.Add(c!.Name)) v.Fail($"{at}.name", $"'{c.Name}' is used twice");
        }
    }

    private static void ValidateListener(Validator v, string at, ListenerOptions l)
    {
        v.Name($"{at}.name", l.Name);
        if (!IPAddress.TryParse(l.Bind, out _)) v.Fail($"{at}.bind", $"'{l.Bind}' is not an IP address");
        v.Range($"{at}.port", l.Port, 0, 65535);
        var spec = v.Spec($"{at}.spec", l.Spec);
        ValidateFraming(v, $"{at}.framing", l.Framing, spec, outgoing: false);
        ValidateLimits(v, $"{at}.limits", l.Limits);
        if (l.Tls is { Enabled: true } tls)
        {
            if (tls.Certificate is null) v.Certificate($"{at}.tls", tls, required: true);
            v.CaFile($"{at}.tls.caCertificatePath", tls.CaCertificatePath);
        }
    }

    private static void ValidateConnector(Validator v, string at, ConnectorOptions c)
    {
        v.Name($"{at}.name", c.Name);
        if (c.Endpoints is null || c.Endpoints.Count == 0) v.Fail($"{at}.endpoints", "needs at least one \"host:port\"");
        for (int e = 0; e < c.Endpoints!.Count; e++)
        {
            if (!EndpointParser.TryParse(c.Endpoints[e], out _, out _))
                v.Fail($"{at}.endpoints[{e}]", $"'{c.Endpoints[e]}' is not \"host:port\" with a port 1..65535");
        }
        v.Range($"{at}.connectionsPerEndpoint", c.ConnectionsPerEndpoint, 1, 64);
        if (c.Strategy is not ("round-robin" or "primary-backup"))
            v.Fail($"{at}.strategy", $"'{c.Strategy}' is not one of round-robin, primary-backup");
        var spec = v.Spec($"{at}.spec", c.Spec);
        ValidateFraming(v, $"{at}.framing", c.Framing, spec, outgoing: true);
        ValidateLimits(v, $"{at}.limits", c.Limits);
        var nm = c.NetworkManagement ?? throw v.Error($"{at}.networkManagement", "is null");
        v.Range($"{at}.networkManagement.echoIntervalMs", nm.EchoIntervalMs, 0, 86_400_000);
        v.Range($"{at}.networkManagement.echoFailuresMax", nm.EchoFailuresMax, 1, 100);
        v.Range($"{at}.networkManagement.responseTimeoutMs", nm.ResponseTimeoutMs, 1, 600_000);
        var mux = c.Mux ?? throw v.Error($"{at}.mux", "is null");
        if (mux.KeyFields is null) v.Fail($"{at}.mux.keyFields", "is null");
        foreach (int f in mux.KeyFields!)
        {
            if (f is < 2 or > 192 || spec?[f] is null) v.Fail($"{at}.mux.keyFields", $"field {f} is not a data field of spec {c.Spec}");
        }
        v.Range($"{at}.mux.timeoutMs", mux.TimeoutMs, 1, 600_000);
        v.Range($"{at}.mux.pendingMax", mux.PendingMax, 1, 1_000_000);
        var rc = c.Reconnect ?? throw v.Error($"{at}.reconnect", "is null");
        v.Range($"{at}.reconnect.initialDelayMs", rc.InitialDelayMs, 1, 600_000);
        v.Range($"{at}.reconnect.delayMsMax", rc.DelayMsMax, rc.InitialDelayMs, 3_600_000);
        v.Range($"{at}.reconnect.connectTimeoutMs", rc.ConnectTimeoutMs, 1, 600_000);
        if (c.Tls is { Enabled: true } tls)
        {
            if (tls.Certificate is null) v.Certificate($"{at}.tls", tls, required: false);
            v.CaFile($"{at}.tls.caCertificatePath", tls.CaCertificatePath);
        }
    }

    private static void ValidateFraming(Validator v, string at, FramingOptions? f, MessageSpec? spec, bool outgoing)
    {
        if (f is null)
        {
            v.Fail(at, "is null");
            return;
        }
        if (!FramingFactory.LengthKinds.Contains(f.Length))
            v.Fail($"{at}.length", $"'{f.Length}' is not one of {string.Join(", ", FramingFactory.LengthKinds)}");
        if (!FramingFactory.HeaderKinds.Contains(f.Header))
            v.Fail($"{at}.header", $"'{f.Header}' is not one of {string.Join(", ", FramingFactory.HeaderKinds)}");
        if (f.Header == "fixed") v.Range($"{at}.headerBytes", f.HeaderBytes, 1, 64);
        if (!FramingFactory.ZeroLengthFrameKinds.Contains(f.ZeroLengthFrames))
            v.Fail($"{at}.zeroLengthFrames", $"'{f.ZeroLengthFrames}' is not one of {string.Join(", ", FramingFactory.ZeroLengthFrameKinds)}");
        int max = f.Length is "bcd2" or "ascii4" ? 9999 : 65533;
        v.Range($"{at}.frameBytesMax", f.FrameBytesMax, 16, max);
        int headerBytes = FramingFactory.HeaderBytes(f);
        if (outgoing && headerBytes > 0)
        {
            byte[] bytes;
            try
            {
                bytes = Convert.FromHexString(f.OutgoingHeaderHex ?? "");
            }
            catch (FormatException)
            {
                throw v.Error($"{at}.outgoingHeaderHex", "is not hex");
            }
            if (bytes.Length != headerBytes) v.Fail($"{at}.outgoingHeaderHex", $"must be {headerBytes} bytes ({headerBytes * 2} hex digits) for header '{f.Header}'");
            if (f.Header == "tpdu" && bytes[0] != Switch.Transport.Framing.FrameHeader.TpduId) v.Fail($"{at}.outgoingHeaderHex", "a TPDU starts with 60");
        }
        if (spec is not null && f.FrameBytesMax > spec.MaxMessageBytes + headerBytes)
            v.Fail($"{at}.frameBytesMax", $"{f.FrameBytesMax} exceeds the spec's maximum message of {spec.MaxMessageBytes} bytes");
    }

    private static void ValidateLimits(Validator v, string at, LimitOptions? l)
    {
        if (l is null)
        {
            v.Fail(at, "is null");
            return;
        }
        v.Range($"{at}.connectionsMax", l.ConnectionsMax, 1, 100_000);
        v.Range($"{at}.connectionsPerIpMax", l.ConnectionsPerIpMax, 1, 100_000);
        v.Range($"{at}.idleTimeoutMs", l.IdleTimeoutMs, 100, 86_400_000);
        v.Range($"{at}.partialFrameTimeoutMs", l.PartialFrameTimeoutMs, 100, 3_600_000);
        v.Range($"{at}.inFlightPerConnectionMax", l.InFlightPerConnectionMax, 1, 10_000);
        v.Range($"{at}.drainTimeoutMs", l.DrainTimeoutMs, 0, 600_000);
    }

    private sealed class Validator(ConfigSection section, SpecRegistry specs)
    {
        public ConfigException Error(string key, string problem) => section.Error(key, problem);

        [System.Diagnostics.CodeAnalysis.DoesNotReturn]
        public void Fail(string key, string problem) => throw section.Error(key, problem);

        public void Range(string key, int value, int min, int max)
        {
            if (value < min || value > max) Fail(key, $"{value} is outside {min}..{max}");
        }

        public void Name(string key, string? name)
        {
            if (string.IsNullOrWhiteSpace(name)) Fail(key, "is empty");
            if (name!.Length > 64 || name.Any(ch => !(char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.')))
                Fail(key, $"'{name}' must be 1..64 letters, digits, '-', '_' or '.'");
        }

        public MessageSpec? Spec(string key, string? name)
        {
            if (string.IsNullOrWhiteSpace(name)) Fail(key, "is empty");
            try
            {
                return specs.Resolve(name!);
            }
            catch (IsoFormatException ex)
            {
                Fail(key, ex.Message);
                return null;
            }
        }

        /// <summary>The PKCS#12 file exists, opens with its password (resolved from its variable), and holds a private key.</summary>
        public void Certificate(string at, TlsOptions tls, bool required)
        {
            ExistingFile($"{at}.certificatePath", tls.CertificatePath, required);
            if (tls.CertificatePath is null) return;
            if (tls.CertificatePasswordEnv is { } env && tls.CertificatePassword is null)
                Fail($"{at}.certificatePasswordEnv", $"environment variable {env} is not set");
            try
            {
                using var cert = X509CertificateLoader.LoadPkcs12FromFile(tls.CertificatePath, tls.CertificatePassword);
                if (!cert.HasPrivateKey) Fail($"{at}.certificatePath", $"'{tls.CertificatePath}' holds no private key");
            }
            catch (CryptographicException ex)
            {
                Fail($"{at}.certificatePath", $"'{tls.CertificatePath}' cannot be opened as PKCS#12 (wrong password?): {ex.Message}");
            }
        }

        /// <summary>The CA file exists and holds at least one PEM certificate.</summary>
        public void CaFile(string key, string? path)
        {
            ExistingFile(key, path, required: false);
            if (path is null) return;
            var collection = new X509Certificate2Collection();
            try
            {
                collection.ImportFromPemFile(path);
            }
            catch (CryptographicException ex)
            {
                Fail(key, $"'{path}' is not PEM certificates: {ex.Message}");
            }
            if (collection.Count == 0) Fail(key, $"'{path}' holds no PEM certificate");
        }

        public void ExistingFile(string key, string? path, bool required)
        {
            if (string.IsNullOrEmpty(path))
            {
                if (required) Fail(key, "is required when TLS is enabled");
                return;
            }
            if (!System.IO.File.Exists(path)) Fail(key, $"file '{path}' does not exist");
        }
    }
}

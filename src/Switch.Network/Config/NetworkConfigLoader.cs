using Switch.Common.Configuration;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Switch.Iso8583;
using Switch.Iso8583.Spec;

namespace Switch.Network.Config;

/// <summary>Reads the listeners and connectors of switch.json and validates them before anything starts.</summary>
public static class NetworkConfigLoader
{
    /// <summary>Largest configuration file read.</summary>
    private const int MaxConfigBytes = 4 * 1024 * 1024;

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNameCaseInsensitive = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    /// <summary>Loads and validates <paramref name="path"/>; throws <see cref="ConfigException"/>.</summary>
    public static NetworkConfig Load(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists) throw new ConfigException(path, "(file)", "does not exist");
        if (info.Length > MaxConfigBytes) throw new ConfigException(path, "(file)", $"is larger than {MaxConfigBytes} bytes");
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses and validates configuration text; <paramref name="file"/> names it in errors.</summary>
    public static NetworkConfig Parse(string json, string file)
    {
        NetworkConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<NetworkConfig>(json, JsonOptions);
        }
        catch (JsonException ex)
        {
            string key = string.IsNullOrEmpty(ex.Path) ? "(root)" : ex.Path.TrimStart('$', '.');
            throw new ConfigException(file, key, Describe(ex));
        }
        if (config is null) throw new ConfigException(file, "(root)", "is null; expected an object");
        Validate(config, file);
        return config;
    }

    /// <summary>
    /// A JSON error in words; the runtime's own message may be a bare resource key when the host
    /// trims resources (the CLI does), so the kind of error is told from it, not quoted.
    /// </summary>
    private static string Describe(JsonException ex)
    {
        string line = ex.LineNumber is { } n ? $" (line {n + 1})" : "";
        if (ex.Message.Contains("nmapped", StringComparison.Ordinal) || ex.Message.Contains("could not be mapped", StringComparison.Ordinal))
            return $"is not a known key{line}";
        if (ex.Path is null or "$") return $"is not valid JSON{line}";
        return $"has a value of the wrong type or form{line}";
    }

    /// <summary>Checks every value; the first problem found is thrown as a <see cref="ConfigException"/>.</summary>
    public static void Validate(NetworkConfig config, string file)
    {
        var v = new Validator(file);
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
        var nm = c.NetworkManagement ?? throw new ConfigException(v.File, $"{at}.networkManagement", "is null");
        v.Range($"{at}.networkManagement.echoIntervalMs", nm.EchoIntervalMs, 0, 86_400_000);
        v.Range($"{at}.networkManagement.echoFailuresMax", nm.EchoFailuresMax, 1, 100);
        v.Range($"{at}.networkManagement.responseTimeoutMs", nm.ResponseTimeoutMs, 1, 600_000);
        var mux = c.Mux ?? throw new ConfigException(v.File, $"{at}.mux", "is null");
        if (mux.KeyFields is null) v.Fail($"{at}.mux.keyFields", "is null");
        foreach (int f in mux.KeyFields!)
        {
            if (f is < 2 or > 192 || spec?[f] is null) v.Fail($"{at}.mux.keyFields", $"field {f} is not a data field of spec {c.Spec}");
        }
        v.Range($"{at}.mux.timeoutMs", mux.TimeoutMs, 1, 600_000);
        v.Range($"{at}.mux.maxPending", mux.MaxPending, 1, 1_000_000);
        var rc = c.Reconnect ?? throw new ConfigException(v.File, $"{at}.reconnect", "is null");
        v.Range($"{at}.reconnect.initialDelayMs", rc.InitialDelayMs, 1, 600_000);
        v.Range($"{at}.reconnect.maxDelayMs", rc.MaxDelayMs, rc.InitialDelayMs, 3_600_000);
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
        int max = f.Length is "bcd2" or "ascii4" ? 9999 : 65533;
        v.Range($"{at}.maxFrameBytes", f.MaxFrameBytes, 16, max);
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
                throw new ConfigException(v.File, $"{at}.outgoingHeaderHex", "is not hex");
            }
            if (bytes.Length != headerBytes) v.Fail($"{at}.outgoingHeaderHex", $"must be {headerBytes} bytes ({headerBytes * 2} hex digits) for header '{f.Header}'");
            if (f.Header == "tpdu" && bytes[0] != Switch.Transport.Framing.FrameHeader.TpduId) v.Fail($"{at}.outgoingHeaderHex", "a TPDU starts with 60");
        }
        if (spec is not null && f.MaxFrameBytes > spec.MaxMessageBytes + headerBytes)
            v.Fail($"{at}.maxFrameBytes", $"{f.MaxFrameBytes} exceeds the spec's maximum message of {spec.MaxMessageBytes} bytes");
    }

    private static void ValidateLimits(Validator v, string at, LimitOptions? l)
    {
        if (l is null)
        {
            v.Fail(at, "is null");
            return;
        }
        v.Range($"{at}.maxConnections", l.MaxConnections, 1, 100_000);
        v.Range($"{at}.maxConnectionsPerIp", l.MaxConnectionsPerIp, 1, 100_000);
        v.Range($"{at}.idleTimeoutMs", l.IdleTimeoutMs, 100, 86_400_000);
        v.Range($"{at}.partialFrameTimeoutMs", l.PartialFrameTimeoutMs, 100, 3_600_000);
        v.Range($"{at}.maxInFlightPerConnection", l.MaxInFlightPerConnection, 1, 10_000);
        v.Range($"{at}.drainTimeoutMs", l.DrainTimeoutMs, 0, 600_000);
    }

    private sealed class Validator(string file)
    {
        public string File { get; } = file;

        public void Fail(string key, string problem) => throw new ConfigException(File, key, problem);

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
                return SpecCatalog.Resolve(name!);
            }
            catch (IsoFormatException ex)
            {
                Fail(key, ex.Message);
                return null;
            }
        }

        /// <summary>The PKCS#12 file exists, opens with the password from its environment variable, and holds a private key.</summary>
        public void Certificate(string at, TlsOptions tls, bool required)
        {
            ExistingFile($"{at}.certificatePath", tls.CertificatePath, required);
            if (tls.CertificatePath is null) return;
            if (tls.CertificatePasswordEnv is { } env && Environment.GetEnvironmentVariable(env) is null)
                Fail($"{at}.certificatePasswordEnv", $"environment variable {env} is not set");
            try
            {
                using var cert = X509CertificateLoader.LoadPkcs12FromFile(tls.CertificatePath,
                    tls.CertificatePasswordEnv is null ? null : Environment.GetEnvironmentVariable(tls.CertificatePasswordEnv));
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

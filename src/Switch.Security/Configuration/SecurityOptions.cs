using System.Globalization;
using Switch.Common.Configuration;
using Switch.Security.Backends.PayShield;
using Switch.Security.Backends.Pkcs11;
using Switch.Security.Keys;
using Switch.Security.Resilience;

namespace Switch.Security.Configuration;

/// <summary>The "security" section of the host's configuration: back end, key store, LMK, token or HSM, resilience.</summary>
public sealed class SecurityOptions
{
    /// <summary>The back ends a host can run on.</summary>
    public static readonly IReadOnlyList<string> Backends = ["software", "pkcs11", "payshield"];

    /// <summary>software, pkcs11 or payshield.</summary>
    public string Backend { get; init; } = "software";

    /// <summary>Directory of the key store (keys.json).</summary>
    public string KeyStorePath { get; init; } = FileKeyStore.DefaultDirectory;

    /// <summary>The software back end's LMK file; default lmk.json in the key store directory.</summary>
    public string? LmkPath { get; init; }

    /// <summary>The PKCS#11 token (back end pkcs11).</summary>
    public Pkcs11Section Pkcs11 { get; init; } = new();

    /// <summary>The payShield HSMs (back end payshield).</summary>
    public PayShieldSection PayShield { get; init; } = new();

    /// <summary>Longest one HSM call may take; its token is cancelled then.</summary>
    public int TimeoutMs { get; init; } = 1500;

    /// <summary>Share of failed calls in the sampling window that opens the circuit.</summary>
    public double BreakerFailureRatio { get; init; } = 0.5;

    /// <summary>Fewest calls in the sampling window before the ratio is judged.</summary>
    public int BreakerCallsMin { get; init; } = 5;

    /// <summary>Length of the breaker's sampling window.</summary>
    public int BreakerSamplingMs { get; init; } = 10_000;

    /// <summary>How long the circuit stays open before a trial call.</summary>
    public int BreakerOpenMs { get; init; } = 5000;

    /// <summary>The LMK file in use.</summary>
    public string LmkFile => LmkPath ?? Path.Combine(KeyStorePath, Lmk.FileName);

    /// <summary>The resilience settings.</summary>
    public HsmResilienceOptions Resilience => new()
    {
        TimeoutMs = TimeoutMs,
        BreakerFailureRatio = BreakerFailureRatio,
        BreakerCallsMin = BreakerCallsMin,
        BreakerSamplingMs = BreakerSamplingMs,
        BreakerOpenMs = BreakerOpenMs,
    };

    /// <summary>Binds and validates the section; every problem is a <see cref="ConfigException"/> naming its key.</summary>
    public static SecurityOptions From(ConfigSection section)
    {
        var options = section.Bind<SecurityOptions>();
        options.Validate(section);
        return options;
    }

    /// <summary>Checks every value; throws <c>section.Error(key, problem)</c> for the first bad one.</summary>
    public void Validate(ConfigSection section)
    {
        if (!Backends.Contains(Backend)) throw section.Error("backend", $"must be one of {string.Join(", ", Backends)}, got '{Backend}'");
        if (string.IsNullOrWhiteSpace(KeyStorePath)) throw section.Error("keyStorePath", "must name a directory");
        if (LmkPath is { } lmk && string.IsNullOrWhiteSpace(lmk)) throw section.Error("lmkPath", "must name a file when given");
        if (Resilience.FirstProblem() is { } problem) throw section.Error(problem.Key, problem.Problem);
        if (Backend == "pkcs11") Pkcs11.Validate(section);
        if (Backend == "payshield") PayShield.Validate(section);
    }
}

/// <summary>The "security.pkcs11" section.</summary>
public sealed class Pkcs11Section
{
    /// <summary>Path of the PKCS#11 module.</summary>
    public string Module { get; init; } = Pkcs11Options.DefaultModule;

    /// <summary>Token label.</summary>
    public string? TokenLabel { get; init; }

    /// <summary>Slot id, when the label alone is ambiguous.</summary>
    public ulong? Slot { get; init; }

    /// <summary>Name of the secret holding the user PIN, resolved by the host (e.g. an environment variable's name); never the PIN itself.</summary>
    public string? PinReference { get; init; }

    /// <summary>Most sessions open at once.</summary>
    public int SessionsMax { get; init; } = 8;

    /// <summary>How long an operation waits for a free session.</summary>
    public int SessionWaitMs { get; init; } = 2000;

    internal void Validate(ConfigSection section)
    {
        if (string.IsNullOrWhiteSpace(Module)) throw section.Error("pkcs11.module", "must name the PKCS#11 module (.so)");
        if (string.IsNullOrWhiteSpace(TokenLabel)) throw section.Error("pkcs11.tokenLabel", "is required with backend pkcs11");
        if (string.IsNullOrWhiteSpace(PinReference)) throw section.Error("pkcs11.pinReference", "is required with backend pkcs11 (the name of the secret that holds the user PIN)");
        if (SessionsMax is < 1 or > 256) throw section.Error("pkcs11.sessionsMax", "must be 1-256");
        if (SessionWaitMs is < 1 or > 60_000) throw section.Error("pkcs11.sessionWaitMs", "must be 1-60000");
    }
}

/// <summary>The "security.payShield" section.</summary>
public sealed class PayShieldSection
{
    /// <summary>HSMs as "host:port", the first preferred, the rest standbys tried in order.</summary>
    public IReadOnlyList<string> Endpoints { get; init; } = ["127.0.0.1:1500"];

    /// <summary>Message header length configured on the HSM.</summary>
    public int HeaderLength { get; init; } = 4;

    /// <summary>How long connecting to one endpoint may take.</summary>
    public int ConnectTimeoutMs { get; init; } = 2000;

    /// <summary>Most commands in flight on the connection.</summary>
    public int InFlightMax { get; init; } = 512;

    /// <summary>The endpoints parsed.</summary>
    public IReadOnlyList<PayShieldEndpoint> ParsedEndpoints() => [.. Endpoints.Select(e => TryParse(e, out PayShieldEndpoint? p) ? p! : throw new FormatException($"endpoint '{e}' is not host:port"))];

    internal void Validate(ConfigSection section)
    {
        if (Endpoints.Count is 0 or > 16) throw section.Error("payShield.endpoints", "must list 1 to 16 host:port endpoints");
        for (int i = 0; i < Endpoints.Count; i++)
        {
            if (!TryParse(Endpoints[i], out _)) throw section.Error($"payShield.endpoints[{i}]", "must be host:port with a port of 1-65535");
        }
        if (HeaderLength is < 2 or > 8) throw section.Error("payShield.headerLength", "must be 2-8");
        if (ConnectTimeoutMs is < 1 or > 60_000) throw section.Error("payShield.connectTimeoutMs", "must be 1-60000");
        if (InFlightMax is < 1 or > 4096) throw section.Error("payShield.inFlightMax", "must be 1-4096");
    }

    private static bool TryParse(string? text, out PayShieldEndpoint? endpoint)
    {
        endpoint = null;
        int colon = text?.LastIndexOf(':') ?? -1;
        if (text is null || colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535) return false;
        endpoint = new PayShieldEndpoint(text[..colon], port);
        return true;
    }
}

using Switch.Common.Configuration;
using Switch.Security.Backends;
using Switch.Security.Backends.PayShield;
using Switch.Security.Backends.Pkcs11;
using Switch.Security.Backends.Software;
using Switch.Security.Keys;
using Switch.Security.Resilience;

namespace Switch.Security.Configuration;

/// <summary>Builds the host's security module from its options: the back end, wrapped in the resilience pipeline.</summary>
public static class SecurityModuleFactory
{
    /// <summary>
    /// The resilient authorization module for the host (it implements only <see cref="ISecurityModule"/>: no tooling).
    /// <paramref name="resolveSecret"/> turns <see cref="Pkcs11Section.PinReference"/> into the PIN (the host decides
    /// where secrets live); a reference it cannot resolve is a configuration error. The caller disposes the module.
    /// </summary>
    public static ResilientSecurityModule Create(SecurityOptions options, ConfigSection section, Func<string, string?> resolveSecret)
    {
        ISecurityModule backend = options.Backend switch
        {
            "software" => new ComposedSecurityModule(new SoftwareCipherEngine(), LoadLmk(options, section, required: true)),
            "pkcs11" => OpenPkcs11(options, section, resolveSecret),
            _ => OpenPayShield(options.PayShield),
        };
        // Software and PKCS#11 calls run synchronously: only the payShield's network waits can be timed out.
        return new ResilientSecurityModule(backend, options.Resilience, ownsInner: true, cancellableCalls: options.Backend == "payshield");
    }

    /// <summary>The key store the options name.</summary>
    public static FileKeyStore OpenKeyStore(SecurityOptions options) => new(options.KeyStorePath);

    private static ComposedSecurityModule OpenPkcs11(SecurityOptions options, ConfigSection section, Func<string, string?> resolveSecret)
    {
        Pkcs11Section p = options.Pkcs11;
        string pin = resolveSecret(p.PinReference!) is { Length: > 0 } value ? value : throw section.Error("pkcs11.pinReference", $"names a secret '{p.PinReference}' that is not set");
        var engine = new Pkcs11CipherEngine(new Pkcs11Options
        {
            ModulePath = p.Module,
            TokenLabel = p.TokenLabel!,
            SlotId = p.Slot,
            UserPin = pin,
            SessionsMax = p.SessionsMax,
            SessionWaitMs = p.SessionWaitMs,
        });
        // Keys imported with --backend pkcs11 are token objects; an LMK is needed only for key-store entries under it.
        return new ComposedSecurityModule(engine, LoadLmk(options, section, required: false));
    }

    private static PayShieldSecurityModule OpenPayShield(PayShieldSection p)
    {
        IReadOnlyList<PayShieldEndpoint> endpoints = p.ParsedEndpoints();
        var client = new PayShieldClient(new PayShieldClientOptions
        {
            Host = endpoints[0].Host,
            Port = endpoints[0].Port,
            Standby = [.. endpoints.Skip(1)],
            HeaderLength = p.HeaderLength,
            ConnectTimeoutMs = p.ConnectTimeoutMs,
            InFlightMax = p.InFlightMax,
        });
        // Against a real payShield the store holds the HSM's own cryptograms: no LMK in this process.
        return new PayShieldSecurityModule(client);
    }

    private static Lmk? LoadLmk(SecurityOptions options, ConfigSection section, bool required)
    {
        if (File.Exists(options.LmkFile)) return Lmk.LoadFile(options.LmkFile);
        return required ? throw section.Error(options.LmkPath is null ? "keyStorePath" : "lmkPath", $"no LMK file at {options.LmkFile} (run `switch keys init`)") : null;
    }
}

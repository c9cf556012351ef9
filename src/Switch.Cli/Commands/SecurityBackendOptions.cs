using System.CommandLine;
using Switch.Security;
using Switch.Security.Backends;
using Switch.Security.Backends.PayShield;
using Switch.Security.Backends.Pkcs11;
using Switch.Security.Keys;
using Switch.Security.Backends.Software;
using Switch.Simulators.Hsm;

namespace Switch.Cli.Commands;

/// <summary>The <c>--backend</c> option and its settings, shared by the <c>crypto</c> and <c>keys</c> verbs.</summary>
public sealed class SecurityBackendOptions
{
    private readonly Option<string> _backend = new("--backend")
    {
        Description = "Security back end: software (default), pkcs11 or payshield.",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("SWITCH_HSM_BACKEND") ?? "software",
    };

    private readonly Option<string> _pkcs11Module = new("--pkcs11-module") { Description = "PKCS#11 module path (default $SWITCH_PKCS11_MODULE or " + Pkcs11Options.DefaultModule + ")." };
    private readonly Option<string> _pkcs11Token = new("--pkcs11-token") { Description = "PKCS#11 token label (default $SWITCH_PKCS11_TOKEN; crypto with SoftHSM2 and no token uses a throwaway token)." };
    private readonly Option<string> _pkcs11Pin = new("--pkcs11-pin") { Description = "PKCS#11 user PIN (prefer $SWITCH_PKCS11_PIN: command lines are visible to other users)." };

    private readonly Option<string> _hsmHost = new("--hsm-host") { Description = "payShield host (default $SWITCH_HSM_HOST; when absent an in-process simulator is started on loopback)." };
    private readonly Option<int?> _hsmPort = new("--hsm-port") { Description = "payShield port (default $SWITCH_HSM_PORT or 1500)." };
    private readonly Option<string> _store = new("--store") { Description = "Key store directory whose LMK wraps keys for the payShield simulator (default $SWITCH_KEY_STORE or ./.switch)." };

    /// <summary>Adds the back-end options to <paramref name="cmd"/>.</summary>
    public static SecurityBackendOptions Add(Command cmd)
    {
        var o = new SecurityBackendOptions();
        cmd.Options.Add(o._backend);
        cmd.Options.Add(o._pkcs11Module);
        cmd.Options.Add(o._pkcs11Token);
        cmd.Options.Add(o._pkcs11Pin);
        cmd.Options.Add(o._hsmHost);
        cmd.Options.Add(o._hsmPort);
        cmd.Options.Add(o._store);
        return o;
    }

    /// <summary>Adds only --backend (software|pkcs11) and the PKCS#11 settings: the <c>keys</c> verbs have their own --store.</summary>
    public static SecurityBackendOptions AddForKeyStore(Command cmd)
    {
        var o = new SecurityBackendOptions();
        o._backend.Description = "Where imported keys live: software (under the store's LMK, default) or pkcs11 (persistent token objects).";
        o._backend.DefaultValueFactory = _ => "software";
        o._pkcs11Token.Description = "PKCS#11 token label (default $SWITCH_PKCS11_TOKEN); required with --backend pkcs11, since stored keys must outlive the run.";
        cmd.Options.Add(o._backend);
        cmd.Options.Add(o._pkcs11Module);
        cmd.Options.Add(o._pkcs11Token);
        cmd.Options.Add(o._pkcs11Pin);
        return o;
    }

    /// <summary>Default key store directory: $SWITCH_KEY_STORE, else ./.switch (the library reads no environment).</summary>
    public static string DefaultStore => Environment.GetEnvironmentVariable("SWITCH_KEY_STORE") is { Length: > 0 } d ? d : FileKeyStore.DefaultDirectory;

    /// <summary>The PKCS#11 engine when --backend pkcs11 was chosen, else null; the caller disposes it.</summary>
    public Pkcs11CipherEngine? OpenPkcs11Vault(ParseResult r) => (r.GetValue(_backend) ?? "software") switch
    {
        "software" => null,
        "pkcs11" => new Pkcs11CipherEngine(ConfiguredToken(r)),
        var other => throw new CliException($"--backend: must be software or pkcs11 for the key store, got '{other}'"),
    };

    /// <summary>Opens the selected back end with its development tooling (the <c>crypto</c> verb); the caller disposes it.</summary>
    public ValueTask<ISecurityTooling> OpenAsync(ParseResult r, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        string backend = r.GetValue(_backend) ?? "software";
        return backend switch
        {
            "software" => new(new ComposedSecurityModule(new SoftwareCipherEngine())),
            "pkcs11" => new(new ComposedSecurityModule(OpenConfiguredOrScratch(r))),
            "payshield" => new(OpenPayShield(r)),
            _ => throw new CliException($"--backend: must be software, pkcs11 or payshield, got '{backend}'"),
        };
    }

    private string Module(ParseResult r) =>
        r.GetValue(_pkcs11Module) is { Length: > 0 } m ? m
        : Environment.GetEnvironmentVariable("SWITCH_PKCS11_MODULE") is { Length: > 0 } fromEnvironment ? fromEnvironment
        : Pkcs11Options.DefaultModule;

    private string? Token(ParseResult r) => r.GetValue(_pkcs11Token) is { Length: > 0 } t ? t : Environment.GetEnvironmentVariable("SWITCH_PKCS11_TOKEN") is { Length: > 0 } e ? e : null;

    private Pkcs11Options ConfiguredToken(ParseResult r)
    {
        string label = Token(r) ?? throw new CliException("pkcs11: no token label (--pkcs11-token or SWITCH_PKCS11_TOKEN)");
        string pin = r.GetValue(_pkcs11Pin) is { Length: > 0 } p ? p
            : Environment.GetEnvironmentVariable("SWITCH_PKCS11_PIN") is { Length: > 0 } e ? e
            : throw new CliException("pkcs11: no user PIN (--pkcs11-pin or SWITCH_PKCS11_PIN)");
        return new Pkcs11Options { ModulePath = Module(r), TokenLabel = label, UserPin = pin };
    }

    // A configured token is always used; with none, SoftHSM2 gets a throwaway token that the engine deletes when
    // disposed; another module without a token is an error.
    private Pkcs11CipherEngine OpenConfiguredOrScratch(ParseResult r)
    {
        string module = Module(r);
        if (Token(r) is not null || !Pkcs11Options.IsSoftHsm(module)) return new Pkcs11CipherEngine(ConfiguredToken(r));
        return SoftHsmScratchToken.OpenEngine(module);
    }

    private PayShieldSecurityModule OpenPayShield(ParseResult r)
    {
        string store = r.GetValue(_store) ?? DefaultStore;
        // Clear keys from the command line are wrapped under the store's LMK, which the simulator shares; without a
        // store, a throwaway LMK serves the in-process simulator.
        Lmk? lmk = File.Exists(Path.Combine(store, Lmk.FileName)) ? Lmk.Load(store) : null;
        string? host = r.GetValue(_hsmHost) ?? Environment.GetEnvironmentVariable("SWITCH_HSM_HOST");
        if (host is null)
        {
            lmk ??= Lmk.Generate();
            var simulator = new PayShieldSimulator(lmk, new PayShieldSimulatorOptions());
            simulator.Start();
            var local = new PayShieldClient(new PayShieldClientOptions { Port = simulator.Port });
            return new PayShieldSecurityModule(local, lmk, companion: simulator);
        }
        int port = r.GetValue(_hsmPort) ?? (int.TryParse(Environment.GetEnvironmentVariable("SWITCH_HSM_PORT"), out int p) ? p : 1500);
        return new PayShieldSecurityModule(new PayShieldClient(new PayShieldClientOptions { Host = host, Port = port }), lmk);
    }
}

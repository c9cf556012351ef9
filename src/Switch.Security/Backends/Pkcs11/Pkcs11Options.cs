namespace Switch.Security.Backends.Pkcs11;

/// <summary>Where the PKCS#11 token is and how to log in; from options or SWITCH_PKCS11_* environment variables.</summary>
public sealed record Pkcs11Options
{
    /// <summary>Default module: Debian's SoftHSM2.</summary>
    public const string DefaultModule = "/usr/lib/softhsm/libsofthsm2.so";

    /// <summary>Path of the PKCS#11 module (.so).</summary>
    public string ModulePath { get; init; } = DefaultModule;

    /// <summary>Label of the token to use.</summary>
    public required string TokenLabel { get; init; }

    /// <summary>User PIN of the token.</summary>
    public required string UserPin { get; init; }

    /// <summary>Most sessions open at once; each operation borrows one (sessions are single-threaded in PKCS#11).</summary>
    public int SessionsMax { get; init; } = 8;

    /// <summary>How long an operation waits for a free session before the token counts as unavailable.</summary>
    public int SessionWaitMs { get; init; } = 2000;

    /// <summary>Options from SWITCH_PKCS11_MODULE, SWITCH_PKCS11_TOKEN and SWITCH_PKCS11_PIN; overrides win when given.</summary>
    public static Pkcs11Options FromEnvironment(string? module = null, string? token = null, string? pin = null)
    {
        string? label = token ?? Environment.GetEnvironmentVariable("SWITCH_PKCS11_TOKEN");
        string? userPin = pin ?? Environment.GetEnvironmentVariable("SWITCH_PKCS11_PIN");
        if (string.IsNullOrEmpty(label)) throw new SecurityInputException("pkcs11: no token label (--pkcs11-token or SWITCH_PKCS11_TOKEN)");
        if (string.IsNullOrEmpty(userPin)) throw new SecurityInputException("pkcs11: no user PIN (--pkcs11-pin or SWITCH_PKCS11_PIN)");
        return new Pkcs11Options
        {
            ModulePath = ResolveModule(module),
            TokenLabel = label,
            UserPin = userPin,
        };
    }

    /// <summary>The module path: <paramref name="module"/>, else SWITCH_PKCS11_MODULE, else <see cref="DefaultModule"/>.</summary>
    public static string ResolveModule(string? module = null) =>
        !string.IsNullOrEmpty(module) ? module
        : Environment.GetEnvironmentVariable("SWITCH_PKCS11_MODULE") is { Length: > 0 } fromEnvironment ? fromEnvironment
        : DefaultModule;

    /// <summary>True when a token label is given, by <paramref name="token"/> or SWITCH_PKCS11_TOKEN.</summary>
    public static bool TokenConfigured(string? token = null) =>
        !string.IsNullOrEmpty(token ?? Environment.GetEnvironmentVariable("SWITCH_PKCS11_TOKEN"));

    /// <summary>True for SoftHSM2's module: the default path, or any library file named like libsofthsm2.so.</summary>
    public static bool IsSoftHsm(string modulePath) =>
        modulePath == DefaultModule || Path.GetFileName(modulePath).Contains("softhsm2", StringComparison.OrdinalIgnoreCase);
}

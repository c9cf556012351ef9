namespace Switch.Security.Backends.Pkcs11;

/// <summary>Where the PKCS#11 token is and how to log in. The host resolves the PIN (the library reads no environment).</summary>
public sealed record Pkcs11Options
{
    /// <summary>Default module: Debian's SoftHSM2.</summary>
    public const string DefaultModule = "/usr/lib/softhsm/libsofthsm2.so";

    /// <summary>Path of the PKCS#11 module (.so).</summary>
    public string ModulePath { get; init; } = DefaultModule;

    /// <summary>Label of the token to use.</summary>
    public required string TokenLabel { get; init; }

    /// <summary>Slot id of the token, when the label alone is ambiguous; null matches any slot with the label.</summary>
    public ulong? SlotId { get; init; }

    /// <summary>User PIN of the token.</summary>
    public required string UserPin { get; init; }

    /// <summary>
    /// Security-officer PIN for a throwaway token: when set, the module's first uninitialised slot is initialised as
    /// <see cref="TokenLabel"/> (C_InitToken, C_InitPIN with <see cref="UserPin"/>) before logging in.
    /// </summary>
    public string? InitializeFreeSlotWithSoPin { get; init; }

    /// <summary>Most sessions open at once; each operation borrows one (sessions are single-threaded in PKCS#11).</summary>
    public int SessionsMax { get; init; } = 8;

    /// <summary>How long an operation waits for a free session before the token counts as unavailable.</summary>
    public int SessionWaitMs { get; init; } = 2000;

    /// <summary>True for SoftHSM2's module: the default path, or any library file named like libsofthsm2.so.</summary>
    public static bool IsSoftHsm(string modulePath) =>
        modulePath == DefaultModule || Path.GetFileName(modulePath).Contains("softhsm2", StringComparison.OrdinalIgnoreCase);
}

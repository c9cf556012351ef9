using System.Diagnostics;
using System.Runtime.InteropServices;
using Switch.Security.Backends;
using Switch.Security.Backends.Pkcs11;

namespace Switch.Security.Tests;

/// <summary>
/// A throwaway SoftHSM2 token in a temporary directory (SOFTHSM2_CONF + softhsm2-util --init-token), and the one
/// PKCS#11 engine this test process may hold (a module is initialised once per process).
/// </summary>
public sealed class SoftHsmToken : IDisposable
{
    private readonly TempDir _dir = new("switch-softhsm-");

    /// <summary>Initialises the token and opens the engine on it.</summary>
    public SoftHsmToken()
    {
        Label = "switch-" + Guid.NewGuid().ToString("N")[..8];
        ConfPath = Path.Combine(_dir.Path, "softhsm2.conf");
        string tokens = Path.Combine(_dir.Path, "tokens");
        Directory.CreateDirectory(tokens);
        File.WriteAllText(ConfPath, $"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n");
        // The module reads SOFTHSM2_CONF from the native environment at C_Initialize; .NET's own copy is not enough.
        _ = NativeEnv.setenv("SOFTHSM2_CONF", ConfPath, 1);
        Environment.SetEnvironmentVariable("SOFTHSM2_CONF", ConfPath);
        var psi = new ProcessStartInfo("softhsm2-util") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "--init-token", "--free", "--label", Label, "--pin", Pin, "--so-pin", SoPin }) psi.ArgumentList.Add(a);
        psi.Environment["SOFTHSM2_CONF"] = ConfPath;
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        if (!p.WaitForExit(30_000) || p.ExitCode != 0) throw new InvalidOperationException($"softhsm2-util failed: {output}");
        Engine = new Pkcs11CipherEngine(Options);
    }

    /// <summary>Token label.</summary>
    public string Label { get; }

    /// <summary>User PIN (test value).</summary>
    public string Pin => "1234";

    /// <summary>SO PIN (test value).</summary>
    public string SoPin => "5678";

    /// <summary>The SoftHSM2 configuration file for this token.</summary>
    public string ConfPath { get; }

    /// <summary>Engine options for this token.</summary>
    public Pkcs11Options Options => new() { TokenLabel = Label, UserPin = Pin };

    /// <summary>The shared engine.</summary>
    public Pkcs11CipherEngine Engine { get; private set; }

    /// <summary>Closes the engine and opens a fresh one (after a fault-injection test broke its sessions).</summary>
    public void Reopen()
    {
        Engine.Dispose();
        Engine = new Pkcs11CipherEngine(Options);
    }

    /// <summary>A module on the shared engine (disposing it leaves the engine open).</summary>
    public ComposedSecurityModule Module() => new(Engine, ownsEngine: false);

    /// <summary>Environment for a child `switch` process using this token.</summary>
    public Dictionary<string, string> ChildEnvironment() => new()
    {
        ["SOFTHSM2_CONF"] = ConfPath,
        ["SWITCH_PKCS11_TOKEN"] = Label,
        ["SWITCH_PKCS11_PIN"] = Pin,
    };

    /// <summary>Closes the engine and deletes the token.</summary>
    public void Dispose()
    {
        Engine.Dispose();
        _dir.Dispose();
    }

    private static partial class NativeEnv
    {
        [DllImport("libc", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true)]
        internal static extern int setenv(string name, string value, int overwrite);
    }
}

/// <summary>Every test that touches the SoftHSM2 token shares one token and runs serially.</summary>
[CollectionDefinition("softhsm")]
public sealed class SoftHsmCollection : ICollectionFixture<SoftHsmToken>;

using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Switch.Security;
using Switch.Security.Backends.Pkcs11;

namespace Switch.Simulators.Hsm;

/// <summary>
/// A throwaway SoftHSM2 token for a tool run with no token configured: a private (0700) temporary directory holding a
/// softhsm2.conf and the token directory, SOFTHSM2_CONF pointed at it for this process, a fresh label and random SO
/// and user PINs. The engine initialises the token (C_InitToken + C_InitPIN) and deletes the directory when it is
/// disposed, after the module is unloaded.
/// </summary>
public sealed class SoftHsmScratchToken : IDisposable
{
    private const string Prefix = "switch-pkcs11-";
    private int _deleted;

    private SoftHsmScratchToken(string directory)
    {
        Directory = directory;
        Label = "switch-scratch-" + RandomNumberGenerator.GetHexString(8, lowercase: true);
        SoPin = RandomNumberGenerator.GetHexString(32);
        UserPin = RandomNumberGenerator.GetHexString(32);
    }

    /// <summary>The private temporary directory (configuration and token files).</summary>
    public string Directory { get; }

    /// <summary>Label the token is initialised with.</summary>
    public string Label { get; }

    /// <summary>Random security-officer PIN, used once to set the user PIN.</summary>
    public string SoPin { get; }

    /// <summary>Random user PIN.</summary>
    public string UserPin { get; }

    /// <summary>
    /// Creates the directory and configuration and points the native SOFTHSM2_CONF at it. Call before the module is
    /// loaded: SoftHSM2 reads the variable in C_Initialize, once per process.
    /// </summary>
    public static SoftHsmScratchToken Create()
    {
        // mkdtemp underneath: a fresh name, created 0700; the mode is set again in case a umask or platform differs.
        string directory = System.IO.Directory.CreateTempSubdirectory(Prefix).FullName;
        var token = new SoftHsmScratchToken(directory);
        try
        {
            const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
            string tokens = Path.Combine(directory, "tokens");
            if (OperatingSystem.IsWindows())
            {
                System.IO.Directory.CreateDirectory(tokens);
            }
            else
            {
                File.SetUnixFileMode(directory, Private);
                System.IO.Directory.CreateDirectory(tokens, Private);
            }
            string conf = Path.Combine(directory, "softhsm2.conf");
            File.WriteAllText(conf, $"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n");
            SetNativeEnvironment("SOFTHSM2_CONF", conf);
            return token;
        }
        catch
        {
            token.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A PKCS#11 engine on a fresh throwaway token of the SoftHSM2 module at <paramref name="modulePath"/>: the engine
    /// initialises the free slot (C_InitToken, C_InitPIN) and deletes the directory after unloading the module, also
    /// when opening fails. A module loads once per process: use it from a process that opens one engine.
    /// </summary>
    public static Pkcs11CipherEngine OpenEngine(string modulePath)
    {
        if (!File.Exists(modulePath))
        {
            throw new HsmUnavailableException($"pkcs11: SoftHSM2 is not installed ({modulePath} not found): install the softhsm2 package (install/setup.sh does), or configure a token with --pkcs11-token");
        }
        SoftHsmScratchToken scratch = Create();
        try
        {
            return new Pkcs11CipherEngine(new Pkcs11Options
            {
                ModulePath = modulePath,
                TokenLabel = scratch.Label,
                UserPin = scratch.UserPin,
                InitializeFreeSlotWithSoPin = scratch.SoPin,
            }, scratch);
        }
        catch
        {
            scratch.Dispose();
            throw;
        }
    }

    /// <summary>Deletes the directory and the token files in it (best effort: a failure leaves only a throwaway token).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _deleted, 1) == 1) return;
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (IOException) { /* already gone, or a file still open: nothing secret is left beyond test keys */ }
        catch (UnauthorizedAccessException) { /* as above */ }
    }

    private static void SetNativeEnvironment(string name, string value)
    {
        // SoftHSM2 calls getenv("SOFTHSM2_CONF") in C_Initialize, i.e. it reads the C runtime's environment block.
        // On Linux .NET keeps its own copy of the environment: Environment.SetEnvironmentVariable changes only that
        // copy, never the native block, so the library would still see the operator's (or no) configuration. libc's
        // setenv changes the block the library reads; .NET's copy is updated too for anything managed that looks.
        if (NativeMethods.setenv(name, value, 1) != 0) throw new HsmUnavailableException($"pkcs11: cannot set {name} for the SoftHSM2 module (errno {Marshal.GetLastPInvokeError()})");
        Environment.SetEnvironmentVariable(name, value);
    }

    private static class NativeMethods
    {
        [DllImport("libc", CharSet = CharSet.Ansi, BestFitMapping = false, ThrowOnUnmappableChar = true, SetLastError = true)]
        internal static extern int setenv(string name, string value, int overwrite);
    }
}

using System.Collections.Concurrent;

namespace Switch.Security.Tests;

/// <summary>
/// <c>switch crypto … --backend pkcs11</c> on a machine where SoftHSM2 is installed but nothing is configured: the verb
/// makes a throwaway token in a private temporary directory and deletes it when the command ends.
/// </summary>
public sealed class Pkcs11ScratchTokenTests
{
    /// <summary>Everything that could point the child at a token: an unconfigured machine has none of it.</summary>
    internal static readonly string[] TokenConfiguration =
        ["SWITCH_PKCS11_TOKEN", "SWITCH_PKCS11_PIN", "SWITCH_PKCS11_MODULE", "SOFTHSM2_CONF", "SWITCH_HSM_BACKEND"];

    private const string ScratchPrefix = "switch-pkcs11-";

    public static TheoryData<string> Ids => VectorFile.Ids();

    [Theory]
    [MemberData(nameof(Ids))]
    public void Without_token_configuration_the_vector_runs_on_a_throwaway_SoftHSM2_token(string id)
    {
        CryptoVector v = VectorFile.Get(id);
        using var tmp = new TempDir("switch-scratch-test-");
        var args = CliRunner.Arguments(v.Op, v.In);
        args.AddRange(["--backend", "pkcs11"]);
        var result = CliRunner.Run(args, new Dictionary<string, string> { ["TMPDIR"] = tmp.Path }, unset: TokenConfiguration);
        Assert.True(result.ExitCode == 0, $"exit {result.ExitCode}: {result.Stderr}");
        Assert.Equal("", result.Stderr);
        Assert.Equal(v.Out, result.Json());
        Assert.Empty(Directory.GetFileSystemEntries(tmp.Path, ScratchPrefix + "*"));
    }

    [Fact]
    public void The_throwaway_token_directory_is_created_in_TMPDIR_and_removed_after_success_and_after_an_error()
    {
        string[] translate = ["crypto", "pinblock-translate", "--from-key", "FD2C1F8DD5950801F97896E143A544D3", "--to-key", "022BB21ECDE7A47F621FA7A97FD1676C",
            "--block", "A5F4EC8ABAE7E43E", "--pan", "4690592981884714", "--format", "0", "--backend", "pkcs11"];
        var ok = RunWatched(translate);
        Assert.True(ok.ExitCode == 0, ok.Stderr);
        Assert.Equal("CF90AF3580E4D929", ok.Json()["block"]);

        // The token is open when the operation fails on the input (a 14-byte TDES key): the directory still goes.
        var failed = RunWatched(["crypto", "kcv", "--key", "7272FD5E9345D45689C00AEC72E9", "--alg", "tdes", "--backend", "pkcs11"]);
        Assert.Equal(1, failed.ExitCode);
        Assert.Equal("error: key: a tdes key must be 16 or 24 bytes, got 14", failed.Stderr.Trim());
    }

    [Fact]
    public void A_module_that_is_not_SoftHSM2_still_needs_a_configured_token()
    {
        var result = CliRunner.Run(["crypto", "kcv", "--key", "7272FD5E9345D45689C00AEC72E9AB9F", "--alg", "tdes", "--backend", "pkcs11"],
            new Dictionary<string, string> { ["SWITCH_PKCS11_MODULE"] = "/opt/vendor/lib/libvendorpkcs11.so" }, unset: TokenConfiguration);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: pkcs11: no token label (--pkcs11-token or SWITCH_PKCS11_TOKEN)", result.Stderr.Trim());
    }

    [Fact]
    public void Without_SoftHSM2_installed_the_error_names_the_package()
    {
        using var tmp = new TempDir("switch-scratch-test-");
        var result = CliRunner.Run(["crypto", "kcv", "--key", "7272FD5E9345D45689C00AEC72E9AB9F", "--alg", "tdes", "--backend", "pkcs11"],
            new Dictionary<string, string> { ["SWITCH_PKCS11_MODULE"] = Path.Combine(tmp.Path, "softhsm", "libsofthsm2.so"), ["TMPDIR"] = tmp.Path }, unset: TokenConfiguration);
        Assert.Equal(1, result.ExitCode);
        string line = Assert.Single(result.Stderr.TrimEnd().Split('\n'));
        Assert.StartsWith("error: pkcs11: SoftHSM2 is not installed", line, StringComparison.Ordinal);
        Assert.Contains("softhsm2 package (install/setup.sh", line, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(tmp.Path, ScratchPrefix + "*"));
    }

    /// <summary>Runs <c>switch</c> unconfigured with a watched TMPDIR; checks it made one scratch directory there and removed it.</summary>
    private static CliRunner.Result RunWatched(string[] args)
    {
        using var tmp = new TempDir("switch-scratch-test-");
        var seen = new ConcurrentQueue<string>();
        using var watcher = new FileSystemWatcher(tmp.Path) { Filter = ScratchPrefix + "*", NotifyFilter = NotifyFilters.DirectoryName };
        watcher.Created += (_, e) => seen.Enqueue(e.FullPath);
        watcher.EnableRaisingEvents = true;
        var result = CliRunner.Run(args, new Dictionary<string, string> { ["TMPDIR"] = tmp.Path }, unset: TokenConfiguration);
        // inotify delivers the creation event asynchronously; it was queued long before the process exited.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (seen.IsEmpty && DateTime.UtcNow < deadline) Thread.Sleep(10);
        string created = Assert.Single(seen);
        Assert.Equal(tmp.Path, Path.GetDirectoryName(created));
        Assert.False(Directory.Exists(created), $"{created} was left behind");
        Assert.Empty(Directory.GetFileSystemEntries(tmp.Path));
        return result;
    }
}

/// <summary>A configured token is used as before: no throwaway token is made.</summary>
[Collection("softhsm")]
public sealed class Pkcs11ConfiguredTokenTests(SoftHsmToken token)
{
    [Fact]
    public void A_configured_token_is_used_and_no_throwaway_token_is_made()
    {
        using var tmp = new TempDir("switch-scratch-test-");
        var env = token.ChildEnvironment();
        env["TMPDIR"] = tmp.Path;
        var result = CliRunner.Run(["crypto", "pinblock-translate", "--from-key", "FD2C1F8DD5950801F97896E143A544D3", "--to-key", "022BB21ECDE7A47F621FA7A97FD1676C",
            "--block", "A5F4EC8ABAE7E43E", "--pan", "4690592981884714", "--format", "0", "--backend", "pkcs11"], env, unset: ["SWITCH_PKCS11_MODULE"]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal("CF90AF3580E4D929", result.Json()["block"]);
        Assert.Empty(Directory.GetFileSystemEntries(tmp.Path));

        // A configured token with the wrong PIN fails rather than falling back to a throwaway token.
        env["SWITCH_PKCS11_PIN"] = "000000";
        var refused = CliRunner.Run(["crypto", "kcv", "--key", "7272FD5E9345D45689C00AEC72E9AB9F", "--alg", "tdes", "--backend", "pkcs11"], env, unset: ["SWITCH_PKCS11_MODULE"]);
        Assert.Equal(1, refused.ExitCode);
        Assert.Equal("error: pkcs11: token login failed (wrong PIN)", refused.Stderr.Trim());
        Assert.Empty(Directory.GetFileSystemEntries(tmp.Path));
    }
}

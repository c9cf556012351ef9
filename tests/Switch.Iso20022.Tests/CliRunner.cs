using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace Switch.Iso20022.Tests;

/// <summary>The outcome of one run of the real <c>switch</c> executable.</summary>
internal sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
}

/// <summary>(Copied from Switch.Cli.Tests until the runners are unified.) Runs the built executable (src/Switch.Cli/bin/&lt;Configuration&gt;/net10.0/switch) as a child process.</summary>
internal static class CliRunner
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>Same configuration as this test assembly, so `dotnet test -c Release` runs the Release build.</summary>
    private static string Configuration =>
        typeof(CliRunner).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";

    public static string Executable { get; } = Path.Combine(RepoRoot, "src", "Switch.Cli", "bin", Configuration, "net10.0",
        OperatingSystem.IsWindows() ? "switch.exe" : "switch");

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Switch.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"no Switch.sln above {AppContext.BaseDirectory}");
    }

    public static CliResult RunWithStdin(string? stdin, params string[] args)
    {
        Assert.True(File.Exists(Executable), $"the CLI is not built at {Executable}");
        var info = new ProcessStartInfo(Executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = new UTF8Encoding(false),
        };
        foreach (string a in args) info.ArgumentList.Add(a);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            if (stdin is not null)
            {
                using var writer = new StreamWriter(process.StandardInput.BaseStream, new UTF8Encoding(false));
                writer.Write(stdin);
            }
            else
            {
                process.StandardInput.Close();
            }
        }
        catch (IOException)
        {
            // The process may exit before reading all of stdin; its output says why.
        }
        if (!process.WaitForExit(Timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"switch {string.Join(' ', args)} did not finish within {Timeout.TotalSeconds} s");
        }
        process.WaitForExit();
        return new CliResult(process.ExitCode, stdout.Result, stderr.Result);
    }

    public static CliResult Run(params string[] args) => RunWithStdin(null, args);

    /// <summary>The error contract: exit 1, nothing on stdout, exactly one line on stderr, no stack frames.</summary>
    public static string AssertOneLineError(CliResult r)
    {
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.True(r.Stdout.Length == 0, r.ToString());
        string[] lines = r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, r.ToString());
        Assert.StartsWith("error: ", lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", r.Stderr, StringComparison.Ordinal);
        return lines[0].TrimEnd('\r');
    }

    /// <summary>Success: exit 0, nothing on stderr; returns stdout without its final newline.</summary>
    public static string AssertSuccess(CliResult r)
    {
        Assert.True(r.ExitCode == 0 && r.Stderr.Length == 0, r.ToString());
        return r.Stdout.TrimEnd('\n', '\r');
    }
}

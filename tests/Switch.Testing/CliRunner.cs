using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Xunit;

namespace Switch.Testing;

/// <summary>Runs the real <c>switch</c> executable (src/Switch.Cli/bin/&lt;Configuration&gt;/net10.0/switch) as a child process.</summary>
public static class CliRunner
{
    /// <summary>The outcome of one run.</summary>
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        /// <summary>Stdout parsed as one flat JSON object of strings.</summary>
        public Dictionary<string, string> Json()
        {
            using var doc = JsonDocument.Parse(Stdout);
            return doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ToString());
        }

        /// <inheritdoc/>
        public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
    }

    /// <summary>The repository root (the directory holding Switch.sln); runs start there.</summary>
    public static string RepoRoot { get; } = FindRepoRoot();

    /// <summary>The executable of the same configuration as the running tests (bin/&lt;Configuration&gt;/net10.0).</summary>
    public static string Executable { get; } = Path.Combine(RepoRoot, "src", "Switch.Cli", "bin", Configuration(), "net10.0",
        OperatingSystem.IsWindows() ? "switch.exe" : "switch");

    /// <summary>Runs <c>switch</c> with the arguments.</summary>
    public static Result Run(params string[] args) => Run(args, env: null);

    /// <summary>Runs <c>switch</c> with <paramref name="stdin"/> written to its standard input.</summary>
    public static Result RunWithStdin(string? stdin, params string[] args) => Run(args, env: null, stdin: stdin);

    /// <summary>Runs <c>switch</c>; kills it and throws <see cref="TimeoutException"/> after <paramref name="timeoutMs"/>.</summary>
    /// <param name="unset">Variables removed from the inherited environment (applied before <paramref name="env"/>).</param>
    public static Result Run(IEnumerable<string> args, IDictionary<string, string>? env = null, string? stdin = null, int timeoutMs = 60_000, IEnumerable<string>? unset = null)
    {
        if (!File.Exists(Executable)) throw new FileNotFoundException($"the CLI is not built at {Executable}");
        var info = StartInfo(args, env, unset);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        WriteStdin(process, stdin);
        if (!process.WaitForExit(timeoutMs))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"switch {string.Join(' ', args)} did not finish in {timeoutMs} ms");
        }
        process.WaitForExit();
        var result = new Result(process.ExitCode, stdout.Result, stderr.Result);
        // Stdout is the answer the operator asked for (it may be a key or PIN by design); stderr is log output.
        CapturedOutput.Record(result.Stderr);
        return result;
    }

    /// <summary>Arguments of <c>switch crypto OP</c> for a vector: op, then --kebab-name value pairs.</summary>
    public static List<string> Arguments(string op, IReadOnlyDictionary<string, string> input)
    {
        var list = new List<string> { "crypto", op };
        foreach (var (k, v) in input)
        {
            list.Add("--" + k.Replace('_', '-'));
            list.Add(v);
        }
        return list;
    }

    /// <summary>The error contract: exit 1, nothing on stdout, exactly one line on stderr, no stack frames.</summary>
    public static string AssertOneLineError(Result r)
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
    public static string AssertSuccess(Result r)
    {
        Assert.True(r.ExitCode == 0 && r.Stderr.Length == 0, r.ToString());
        return r.Stdout.TrimEnd('\n', '\r');
    }

    /// <summary>A start description for the executable, output redirected, run from the repository root.</summary>
    public static ProcessStartInfo StartInfo(IEnumerable<string> args, IDictionary<string, string>? env = null, IEnumerable<string>? unset = null)
    {
        var info = new ProcessStartInfo(Executable)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepoRoot,
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = new UTF8Encoding(false),
        };
        foreach (string a in args) info.ArgumentList.Add(a);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        if (unset is not null) foreach (string name in unset) info.Environment.Remove(name);
        if (env is not null) foreach (var (k, v) in env) info.Environment[k] = v;
        return info;
    }

    private static void WriteStdin(Process process, string? stdin)
    {
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
    }

    private static string Configuration() =>
        new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Switch.sln"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException($"no Switch.sln above {AppContext.BaseDirectory}");
    }
}

/// <summary>Everything the suite's processes printed on stderr, for the sensitive-data scan.</summary>
public static class CapturedOutput
{
    private static readonly List<string> Chunks = [];

    /// <summary>Adds captured text.</summary>
    public static void Record(string text)
    {
        lock (Chunks) Chunks.Add(text);
    }

    /// <summary>A snapshot of everything captured so far.</summary>
    public static IReadOnlyList<string> Snapshot()
    {
        lock (Chunks) return [.. Chunks];
    }
}

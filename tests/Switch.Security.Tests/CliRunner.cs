using System.Diagnostics;
using System.Text.Json;

namespace Switch.Security.Tests;

/// <summary>Runs the real <c>switch</c> executable built next to the tests and captures its output.</summary>
public static class CliRunner
{
    /// <summary>Result of one run.</summary>
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        /// <summary>Stdout parsed as one flat JSON object of strings.</summary>
        public Dictionary<string, string> Json()
        {
            using var doc = JsonDocument.Parse(Stdout);
            return doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ToString());
        }
    }

    /// <summary>The repository root (the directory holding Switch.sln).</summary>
    public static string RepoRoot { get; } = FindRoot();

    /// <summary>Runs <c>switch</c> with the arguments; kills it after <paramref name="timeoutMs"/>.</summary>
    /// <param name="unset">Variables removed from the inherited environment (applied before <paramref name="env"/>).</param>
    public static Result Run(IEnumerable<string> args, IDictionary<string, string>? env = null, string? stdin = null, int timeoutMs = 60_000, IEnumerable<string>? unset = null)
    {
        var psi = new ProcessStartInfo(Executable())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = RepoRoot,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        if (unset is not null) foreach (string name in unset) psi.Environment.Remove(name);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        if (stdin is not null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"switch {string.Join(' ', args)} did not finish in {timeoutMs} ms");
        }
        p.WaitForExit();
        var result = new Result(p.ExitCode, stdout.Result, stderr.Result);
        // Stdout is the answer the operator asked for (it may be a key or PIN by design); stderr is log output.
        CapturedOutput.Record(result.Stderr);
        return result;
    }

    /// <summary>Command-line arguments for a vector: op, then --kebab-name value pairs.</summary>
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

    private static string Executable()
    {
        // Same configuration as the tests themselves (bin/<Configuration>/net10.0).
        string configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        string path = Path.Combine(RepoRoot, "src", "Switch.Cli", "bin", configuration, "net10.0", "switch");
        if (!File.Exists(path)) throw new FileNotFoundException($"build src/Switch.Cli first ({path} missing)");
        return path;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Switch.sln"))) return dir.FullName;
        }
        throw new DirectoryNotFoundException("Switch.sln not found above the test directory");
    }
}

/// <summary>Everything the suite's processes and loggers printed, for the sensitive-data scan.</summary>
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

using System.Diagnostics;
using Npgsql;
using Switch.Postgres;

namespace Switch.Cli.Demo;

/// <summary>
/// The demo's Postgres: the configured database is probed; when it does not answer, install/postgres.sh (the script
/// install/setup.sh runs: it starts the local cluster and creates the development role and database) is run once
/// and the database probed again. The cluster is a system service: the demo leaves it running, as set-up does.
/// </summary>
internal static class DemoPostgres
{
    /// <summary>Longest install/postgres.sh may take (a stopped cluster starts in seconds; a first install takes longer).</summary>
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(5);

    /// <summary>Probes the database, starting the local cluster through install/postgres.sh when it is down.</summary>
    public static async Task EnsureAsync(PostgresOptions postgres, TextWriter output, CancellationToken ct)
    {
        if (await ProbeAsync(postgres, ct).ConfigureAwait(false) is null) return;
        string? script = FindScript();
        if (script is null)
            throw new CliException($"Postgres at {postgres.Describe()} does not answer, and install/postgres.sh (which starts it) is not found; run install/setup.sh");
        if (Environment.UserName != "root")
            throw new CliException($"Postgres at {postgres.Describe()} does not answer; start it with `sudo {script}` (it manages the cluster as root)");
        output.WriteLine($"  postgres:    not answering; starting the local cluster with {script}");
        output.Flush();
        await RunScriptAsync(script, ct).ConfigureAwait(false);
        if (await ProbeAsync(postgres, ct).ConfigureAwait(false) is { } problem)
            throw new CliException($"Postgres at {postgres.Describe()} still does not answer after {script}: {problem}");
    }

    /// <summary>Null when a connection opens, otherwise what went wrong (one line, no password).</summary>
    private static async Task<string?> ProbeAsync(PostgresOptions postgres, CancellationToken ct)
    {
        try
        {
            await using var dataSource = postgres.CreateDataSource();
            await using var connection = await dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            return (ex is PostgresException pg ? pg.MessageText : ex.Message).ReplaceLineEndings(" ");
        }
    }

    /// <summary>install/postgres.sh of the checkout this executable was built in (or of the working directory).</summary>
    private static string? FindScript()
    {
        foreach (string start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "install", "postgres.sh");
                if (File.Exists(candidate)) return candidate;
            }
        }
        return null;
    }

    private static async Task RunScriptAsync(string script, CancellationToken ct)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(script);
        using var process = Process.Start(info) ?? throw new CliException($"cannot run {script}");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(ScriptTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Never leave the script behind: it is this process's only child.
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
            if (ct.IsCancellationRequested) throw;
            throw new CliException($"{script} did not finish within {ScriptTimeout.TotalMinutes:0} minutes");
        }
        if (process.ExitCode != 0)
        {
            string last = (await stderr.ConfigureAwait(false)).Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? $"exit code {process.ExitCode}";
            throw new CliException($"{script} could not start Postgres: {last}");
        }
        await stdout.ConfigureAwait(false);
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Switch.Journal.Postgres.Tests;

/// <summary>
/// A throwaway Postgres cluster for the tests that stop or kill Postgres (the shared cluster serves other test
/// projects at the same time): Debian's binaries, initdb as the postgres OS user (initdb refuses root), a temp
/// directory, a free loopback port, synchronous_commit=on. Stopping and killing touch only this cluster's postmaster;
/// disposing removes it.
/// </summary>
public sealed class PrivateCluster : IAsyncDisposable
{
    private const string BinDir = "/usr/lib/postgresql/15/bin";
    private readonly string _root;
    private readonly string _data;

    private PrivateCluster(string root, int port)
    {
        _root = root;
        _data = Path.Combine(root, "data");
        Port = port;
        AdminConnectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = port, Username = "postgres", Database = "postgres", Timeout = 3, CommandTimeout = 30,
        }.ConnectionString;
    }

    /// <summary>The cluster's loopback port.</summary>
    public int Port { get; }

    /// <summary>Superuser connection string (trust authentication on loopback; the cluster lives for one test).</summary>
    public string AdminConnectionString { get; }

    /// <summary>The postmaster's PID while it runs (from postmaster.pid).</summary>
    public int PostmasterPid => int.Parse(File.ReadLines(Path.Combine(_data, "postmaster.pid")).First());

    /// <summary>Creates and starts a cluster.</summary>
    public static async Task<PrivateCluster> StartAsync()
    {
        string root = Path.Combine(Path.GetTempPath(), "switch-pg-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(root);
        var cluster = new PrivateCluster(root, FreePort());
        try
        {
            await RunAsync("chown", ["postgres:postgres", root]);
            await RunAsync("runuser", ["-u", "postgres", "--", $"{BinDir}/initdb", "-D", cluster._data, "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"]);
            await cluster.StartServerAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the server (after <see cref="StopAsync"/> or <see cref="KillPostmasterAsync"/>); retried while a killed server's backends still hold its shared memory.</summary>
    public async Task StartServerAsync()
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await RunAsync("runuser", ["-u", "postgres", "--", $"{BinDir}/pg_ctl", "-D", _data, "-l", Path.Combine(_root, "log"), "-w", "-t", "60",
                    "-o", $"-p {Port} -k {_root} -c listen_addresses=127.0.0.1 -c synchronous_commit=on -c fsync=on -c shared_buffers=32MB -c max_connections=40",
                    "start"]);
                return;
            }
            catch (InvalidOperationException) when (deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(500);
            }
        }
    }

    /// <summary>A clean shutdown (pg_ctl stop -m fast), as <c>pg_ctlcluster stop</c> does (F12).</summary>
    public Task StopAsync() =>
        RunAsync("runuser", ["-u", "postgres", "--", $"{BinDir}/pg_ctl", "-D", _data, "-m", "fast", "-w", "stop"]);

    /// <summary>kill -9 of this cluster's postmaster only (F13); its backends exit when they see it gone.</summary>
    public async Task KillPostmasterAsync()
    {
        int pid = PostmasterPid;
        using (var postmaster = Process.GetProcessById(pid))
        {
            postmaster.Kill();
            await postmaster.WaitForExitAsync();
        }
        NpgsqlConnection.ClearAllPools();
    }

    public async ValueTask DisposeAsync()
    {
        if (File.Exists(Path.Combine(_data, "postmaster.pid")))
        {
            try
            {
                await RunAsync("runuser", ["-u", "postgres", "--", $"{BinDir}/pg_ctl", "-D", _data, "-m", "immediate", "-w", "stop"]);
            }
            catch (InvalidOperationException)
            {
                try
                {
                    using var postmaster = Process.GetProcessById(PostmasterPid);
                    postmaster.Kill();
                }
                catch (ArgumentException)
                {
                    // Already gone.
                }
            }
        }
        NpgsqlConnection.ClearAllPools();
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A backend still exiting may hold a file for a moment; the directory is under the temp dir anyway.
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static async Task RunAsync(string file, string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(args.Length > 3 ? args[3] : file)} exited {process.ExitCode}: {(await stderr).Trim()} {(await stdout).Trim()}");
    }
}

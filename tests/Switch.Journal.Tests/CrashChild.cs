using System.Diagnostics;

namespace Switch.Journal.Tests;

/// <summary>Runs tests/Switch.Journal.CrashChild as a separate process and reads its "ack" lines.</summary>
internal sealed class CrashChild : IDisposable
{
    private readonly Process _process;
    private readonly List<(long First, long Last, string Txn)> _acks = [];
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public CrashChild(string mode, string spool, string bootstrap, string topic, int seed, int count)
    {
        var psi = new ProcessStartInfo(Executable()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { mode, spool, bootstrap, topic, seed.ToString(System.Globalization.CultureInfo.InvariantCulture), count.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            psi.ArgumentList.Add(a);
        _process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (Stderr) Stderr.Add(e.Data); };
        _process.Exited += (_, _) => _exited.TrySetResult();
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public List<string> Stderr { get; } = [];
    public string? LastLine { get; private set; }

    public (long First, long Last, string Txn)[] Acks
    {
        get { lock (_acks) return [.. _acks]; }
    }

    public int AckCount
    {
        get { lock (_acks) return _acks.Count; }
    }

    public async Task WaitForAcks(int n, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (AckCount < n)
        {
            if (_process.HasExited) throw new InvalidOperationException($"child exited with {_process.ExitCode} after {AckCount} acks: {string.Join(" | ", Stderr.Take(5))}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"child acknowledged {AckCount} of {n}");
            await Task.Delay(2);
        }
    }

    /// <summary>SIGKILL: no flush, no dispose, no finally.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: false);
        _process.WaitForExit(10_000);
    }

    public async Task<int> WaitForExit(TimeSpan timeout)
    {
        await _exited.Task.WaitAsync(timeout);
        _process.WaitForExit(); // drains the output readers
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited) Kill();
        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        LastLine = line;
        if (!line.StartsWith("ack ", StringComparison.Ordinal)) return;
        string[] p = line.Split(' ');
        lock (_acks) _acks.Add((long.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture), long.Parse(p[2], System.Globalization.CultureInfo.InvariantCulture), p[3]));
    }

    private static string Executable()
    {
        string configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "Switch.Journal.CrashChild", "bin", configuration, "net10.0", "Switch.Journal.CrashChild");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException("build tests/Switch.Journal.CrashChild first");
    }
}

using System.Diagnostics;
using Serilog.Core;
using Switch.Journal.Spool;

namespace Switch.Journal.Tests;

/// <summary>F14 on a real, size-limited volume: a 512 KiB tmpfs mounted for the test (the tests run as root here and in CI).</summary>
public sealed class SmallVolumeTests
{
    [Fact]
    public async Task F14_a_really_full_volume_refuses_appends_and_recovers_when_space_returns_I2()
    {
        using var dir = new TempDir("sjv");
        Mount(dir.Path);
        try
        {
            string spool = Path.Combine(dir.Path, "spool");
            string filler = Path.Combine(dir.Path, "filler");
            await File.WriteAllBytesAsync(filler, new byte[256 * 1024]);
            var options = new SpoolOptions { Directory = spool, SegmentBytesMax = 64 * 1024, SpoolBytesMax = 1L << 30, GroupBytesMax = 16 * 1024, DiskFullProbeMs = 20 };
            using var w = new SpoolWriter(FileSpoolStorage.Instance, options, 1, Logger.None, ex => throw ex);
            var acked = new List<string>();
            JournalUnavailableException? refused = null;
            for (int i = 0; i < 5000 && refused is null; i++)
            {
                try
                {
                    await w.Append([SampleEvents.Approval("v" + i)], out _);
                    acked.Add("v" + i);
                }
                catch (JournalUnavailableException ex)
                {
                    refused = ex;
                }
            }
            Assert.NotNull(refused);
            Assert.Equal("spool disk full", refused.Reason); // the real ENOSPC is recognized
            Assert.Throws<JournalUnavailableException>(() => { _ = w.Append([SampleEvents.Approval("while-full")], out _); });
            File.Delete(filler);
            await SpoolFaultTests.WaitUntil(() => w.Refusal is null, TimeSpan.FromSeconds(5));
            await w.Append([SampleEvents.Approval("after")], out _);
            acked.Add("after");
            w.Dispose();
            // Everything acknowledged is on the volume, nothing refused is, and the tail is clean.
            Assert.Equal(acked, SpoolWriteTests.ReadSpool(spool).Select(r => r.Event.TransactionId));
        }
        finally
        {
            Run("umount", dir.Path);
        }
    }

    private static void Mount(string path)
    {
        (int code, string err) = Run("mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", path);
        if (code != 0) throw new InvalidOperationException($"this test mounts a 512 KiB tmpfs and needs root: mount failed ({err.Trim()})");
    }

    private static (int Code, string Err) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using Process p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, err);
    }
}

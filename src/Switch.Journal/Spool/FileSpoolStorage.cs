using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Switch.Journal.Spool;

/// <summary>The real spool storage: positional reads and writes on file handles, fsync through the runtime, directory fsync through libc.</summary>
public sealed class FileSpoolStorage : ISpoolStorage
{
    /// <summary>The one instance (it has no state).</summary>
    public static readonly FileSpoolStorage Instance = new();

    /// <inheritdoc/>
    public void CreateDirectory(string directory) => Directory.CreateDirectory(directory);

    /// <inheritdoc/>
    public IReadOnlyList<string> List(string directory, string suffix) =>
        Directory.EnumerateFiles(directory, "*" + suffix).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();

    /// <inheritdoc/>
    public ISpoolFile Open(string path) => new File(System.IO.File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete));

    /// <inheritdoc/>
    public ISpoolFile OpenRead(string path) => new File(System.IO.File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));

    /// <inheritdoc/>
    public void Delete(string path) => System.IO.File.Delete(path);

    /// <inheritdoc/>
    public void WriteDurably(string path, ReadOnlySpan<byte> bytes)
    {
        string temp = path + ".tmp";
        using (var f = new File(System.IO.File.OpenHandle(temp, FileMode.Create, FileAccess.ReadWrite)))
        {
            f.Write(0, bytes);
            f.Flush();
        }
        System.IO.File.Move(temp, path, overwrite: true);
        SyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }

    /// <inheritdoc/>
    public byte[]? ReadSmall(string path, int bytesMax)
    {
        if (!System.IO.File.Exists(path)) return null;
        using var f = new File(System.IO.File.OpenHandle(path, FileMode.Open, FileAccess.Read));
        var buffer = new byte[Math.Min(f.Length, bytesMax)];
        int n = f.Read(0, buffer);
        return buffer[..n];
    }

    /// <inheritdoc/>
    public void SyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return; // NTFS needs no directory fsync
        int fd = Native.open(directory, 0 /* O_RDONLY */);
        if (fd < 0) throw new IOException($"cannot open directory {directory} to fsync it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (Native.fsync(fd) != 0) throw new IOException($"fsync of directory {directory} failed (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            _ = Native.close(fd);
        }
    }

    private sealed class File(SafeFileHandle handle) : ISpoolFile
    {
        public long Length => RandomAccess.GetLength(handle);

        public int Read(long offset, Span<byte> buffer)
        {
            int total = 0;
            while (total < buffer.Length)
            {
                int n = RandomAccess.Read(handle, buffer[total..], offset + total);
                if (n == 0) break;
                total += n;
            }
            return total;
        }

        public void Write(long offset, ReadOnlySpan<byte> bytes) => RandomAccess.Write(handle, bytes, offset);

        public void Flush() => RandomAccess.FlushToDisk(handle);

        public void SetLength(long length) => RandomAccess.SetLength(handle, length);

        public void Dispose() => handle.Dispose();
    }

    private static class Native
    {
        [DllImport("libc", SetLastError = true)] public static extern int open(string path, int flags);
        [DllImport("libc", SetLastError = true)] public static extern int fsync(int fd);
        [DllImport("libc", SetLastError = true)] public static extern int close(int fd);
    }
}

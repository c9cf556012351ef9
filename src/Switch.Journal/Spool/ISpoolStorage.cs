namespace Switch.Journal.Spool;

/// <summary>
/// The spool's file I/O, behind a seam so tests can inject disk-full and fsync faults (F14, F15) and a deterministic
/// simulation can replace the disk. <see cref="FileSpoolStorage"/> is the real one.
/// </summary>
public interface ISpoolStorage
{
    /// <summary>Creates the directory if missing.</summary>
    void CreateDirectory(string directory);

    /// <summary>The names (not paths) of the files in <paramref name="directory"/> ending in <paramref name="suffix"/>.</summary>
    IReadOnlyList<string> List(string directory, string suffix);

    /// <summary>Opens (creating if missing) a file for reading and writing at explicit offsets.</summary>
    ISpoolFile Open(string path);

    /// <summary>Opens an existing file for reading only (forwarder, replay).</summary>
    ISpoolFile OpenRead(string path);

    /// <summary>Deletes a file if it exists.</summary>
    void Delete(string path);

    /// <summary>Writes a small file atomically and durably (temp file, fsync, rename, fsync of the directory).</summary>
    void WriteDurably(string path, ReadOnlySpan<byte> bytes);

    /// <summary>The bytes of a small file, or null if it does not exist.</summary>
    byte[]? ReadSmall(string path, int bytesMax);

    /// <summary>fsyncs a directory so a created, renamed or deleted entry survives a crash.</summary>
    void SyncDirectory(string directory);
}

/// <summary>One open spool file.</summary>
public interface ISpoolFile : IDisposable
{
    /// <summary>The file's length in bytes.</summary>
    long Length { get; }

    /// <summary>Reads up to <paramref name="buffer"/>.Length bytes at <paramref name="offset"/>; returns bytes read (0 at end).</summary>
    int Read(long offset, Span<byte> buffer);

    /// <summary>Writes all of <paramref name="bytes"/> at <paramref name="offset"/>; throws <see cref="IOException"/> (e.g. disk full).</summary>
    void Write(long offset, ReadOnlySpan<byte> bytes);

    /// <summary>fsync: the data and the length reach the disk. An exception here means the page cache cannot be trusted.</summary>
    void Flush();

    /// <summary>Sets the file's length (to cut a torn tail or a failed write).</summary>
    void SetLength(long length);
}

/// <summary>Recognizes an out-of-space error (ENOSPC, EDQUOT; Windows' disk-full codes).</summary>
public static class DiskErrors
{
    /// <summary>Whether <paramref name="ex"/> says the volume (or the quota) is full.</summary>
    public static bool IsDiskFull(Exception ex) => ex is IOException io && io.HResult is 28 or 122 or unchecked((int)0x80070070) or unchecked((int)0x80070027);
}

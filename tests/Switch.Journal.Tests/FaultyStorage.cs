using Switch.Journal.Spool;

namespace Switch.Journal.Tests;

/// <summary>The real file storage with switchable faults: a full disk (ENOSPC on write) and a failing fsync (EIO).</summary>
internal sealed class FaultyStorage : ISpoolStorage
{
    private readonly ISpoolStorage _inner = FileSpoolStorage.Instance;

    public volatile bool DiskFull;
    public volatile bool FsyncFails;
    public int FsyncCalls;

    public void CreateDirectory(string directory) => _inner.CreateDirectory(directory);
    public IReadOnlyList<string> List(string directory, string suffix) => _inner.List(directory, suffix);
    public ISpoolFile Open(string path) => new File(this, _inner.Open(path));
    public ISpoolFile OpenRead(string path) => _inner.OpenRead(path);
    public void Delete(string path) => _inner.Delete(path);
    public byte[]? ReadSmall(string path, int bytesMax) => _inner.ReadSmall(path, bytesMax);
    public void SyncDirectory(string directory) => _inner.SyncDirectory(directory);

    public void WriteDurably(string path, ReadOnlySpan<byte> bytes)
    {
        if (DiskFull) throw Enospc();
        _inner.WriteDurably(path, bytes);
    }

    private static IOException Enospc() => new("No space left on device", 28);

    private sealed class File(FaultyStorage owner, ISpoolFile inner) : ISpoolFile
    {
        public long Length => inner.Length;
        public int Read(long offset, Span<byte> buffer) => inner.Read(offset, buffer);

        public void Write(long offset, ReadOnlySpan<byte> bytes)
        {
            if (owner.DiskFull)
            {
                // Like a real full disk: part of the write may land before the error.
                inner.Write(offset, bytes[..Math.Min(bytes.Length, 5)]);
                throw Enospc();
            }
            inner.Write(offset, bytes);
        }

        public void Flush()
        {
            Interlocked.Increment(ref owner.FsyncCalls);
            if (owner.FsyncFails) throw new IOException("Input/output error", 5);
            inner.Flush();
        }

        public void SetLength(long length) => inner.SetLength(length);
        public void Dispose() => inner.Dispose();
    }
}

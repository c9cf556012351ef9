using System.Runtime.InteropServices;

namespace Switch.Common.IO;

/// <summary>What a path names, as far as reading it as a file is concerned.</summary>
internal enum FileKind
{
    /// <summary>A regular file (after following symbolic links).</summary>
    Regular,

    /// <summary>A directory.</summary>
    Directory,

    /// <summary>Nothing (or a symbolic link to nothing).</summary>
    Missing,

    /// <summary>A FIFO, character or block device, or socket: reading it may block or never end.</summary>
    Special,
}

/// <summary>
/// The kind of a file system entry (regular, FIFO, device …), which .NET does not expose. statx is used because its
/// struct layout is the same on every Linux architecture (stat's is not). Elsewhere .NET's own view is used.
/// </summary>
internal static partial class UnixFileKind
{
    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1;
    private const int StatxModeOffset = 28;
    private const int FileTypeMask = 0xF000;
    private const int RegularFile = 0x8000;
    private const int DirectoryFile = 0x4000;
    private const int ENOENT = 2;
    private const int ENOTDIR = 20;

    /// <summary>What <paramref name="path"/> names, following symbolic links.</summary>
    public static FileKind Of(string path)
    {
        if (OperatingSystem.IsLinux() && TryStatx(path, out FileKind kind)) return kind;
        if (Directory.Exists(path)) return FileKind.Directory;
        return File.Exists(path) ? FileKind.Regular : FileKind.Missing;
    }

    private static bool TryStatx(string path, out FileKind kind)
    {
        kind = FileKind.Missing;
        // struct statx is 256 bytes; stx_mode is a u16 at offset 28.
        Span<byte> buffer = stackalloc byte[256];
        int rc;
        try
        {
            rc = Statx(AtFdCwd, path, 0, StatxType, ref MemoryMarshal.GetReference(buffer));
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            return false; // a C library without statx (glibc < 2.28): fall back to what .NET reports
        }
        if (rc != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno is ENOENT or ENOTDIR) return true;
            return false; // e.g. permission denied: the open itself reports it
        }
        int type = BitConverter.ToUInt16(buffer.Slice(StatxModeOffset, 2)) & FileTypeMask;
        kind = type switch
        {
            RegularFile => FileKind.Regular,
            DirectoryFile => FileKind.Directory,
            _ => FileKind.Special,
        };
        return true;
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int Statx(int dirFd, string path, int flags, uint mask, ref byte buffer);
}

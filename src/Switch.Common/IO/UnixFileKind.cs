using System.Runtime.InteropServices;

namespace Switch.Common.IO;

/// <summary>
/// The kind of a file system entry (regular, FIFO, device …), which .NET does not expose. statx is used because its
/// struct layout is the same on every Linux architecture (stat's is not). Elsewhere every existing file counts as regular.
/// </summary>
internal static partial class UnixFileKind
{
    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1;
    private const int StatxModeOffset = 28;
    private const int FileTypeMask = 0xF000;
    private const int RegularFile = 0x8000;

    /// <summary>True when the path (following symbolic links) names a regular file.</summary>
    public static bool IsRegularFile(string path)
    {
        if (!OperatingSystem.IsLinux()) return true;
        // struct statx is 256 bytes; stx_mode is a u16 at offset 28.
        Span<byte> buffer = stackalloc byte[256];
        int rc;
        try
        {
            rc = Statx(AtFdCwd, path, 0, StatxType, ref MemoryMarshal.GetReference(buffer));
        }
        catch (EntryPointNotFoundException)
        {
            return true; // a C library without statx (glibc < 2.28): fall back to what .NET reported
        }
        if (rc != 0) return true; // let the open itself report the error with its own message
        int mode = BitConverter.ToUInt16(buffer.Slice(StatxModeOffset, 2));
        return (mode & FileTypeMask) == RegularFile;
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static partial int Statx(int dirFd, string path, int flags, uint mask, ref byte buffer);
}

namespace Switch.Common.IO;

/// <summary>A file that could not be read within its limit, or is not a regular file; the message names the file.</summary>
public sealed class BoundedFileException(string path, string problem) : IOException($"{path}: {problem}")
{
    /// <summary>The file named by the caller.</summary>
    public string PathName { get; } = path;

    /// <summary>What is wrong, as a sentence.</summary>
    public string Problem { get; } = problem;
}

/// <summary>
/// Reads whole files with a size limit that holds: at most limit + 1 bytes are ever read through a stream, so
/// /dev/zero, /proc files (reported size 0) and growing files cannot exhaust memory, and anything that is not a
/// regular file (FIFO, device, directory, socket) is refused before it is opened, so a read never blocks forever.
/// </summary>
public static class BoundedFile
{
    /// <summary>Reads the file's bytes; throws <see cref="BoundedFileException"/> when it is too large, missing or not a regular file.</summary>
    public static byte[] ReadAllBytes(string path, int bytesMax)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytesMax);
        RequireRegularFile(path);
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
            return ReadBounded(stream, path, bytesMax);
        }
        catch (UnauthorizedAccessException)
        {
            throw new BoundedFileException(path, "permission denied");
        }
        catch (IOException ex) when (ex is not BoundedFileException)
        {
            throw new BoundedFileException(path, $"cannot be read: {ex.Message}");
        }
    }

    /// <summary>Reads the file as UTF-8 text (a leading byte-order mark is dropped); invalid UTF-8 is reported with its byte offset.</summary>
    public static string ReadAllText(string path, int bytesMax)
    {
        byte[] bytes = ReadAllBytes(path, bytesMax);
        return DecodeUtf8(bytes, path);
    }

    /// <summary>Strict UTF-8 decode naming the first invalid byte's offset.</summary>
    public static string DecodeUtf8(ReadOnlySpan<byte> bytes, string source)
    {
        int bom = bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? 3 : 0;
        bytes = bytes[bom..];
        var chars = new char[bytes.Length];
        var status = System.Text.Unicode.Utf8.ToUtf16(bytes, chars, out int read, out int written, replaceInvalidSequences: false);
        // The offset is the file's, byte-order mark included, so an editor's "go to byte" lands on it.
        if (status != System.Buffers.OperationStatus.Done)
            throw new BoundedFileException(source, $"invalid UTF-8 at byte offset {bom + read}");
        return new string(chars, 0, written);
    }

    private static void RequireRegularFile(string path)
    {
        // Opening a FIFO blocks until a writer appears and a device never ends: refuse both before opening.
        switch (UnixFileKind.Of(path))
        {
            case FileKind.Directory: throw new BoundedFileException(path, "is a directory, not a file");
            case FileKind.Missing: throw new BoundedFileException(path, "no such file");
            case FileKind.Special: throw new BoundedFileException(path, "is not a regular file (a device, FIFO or socket cannot be read as a file)");
        }
    }

    private static byte[] ReadBounded(Stream stream, string path, int bytesMax)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[(int)Math.Min(81920, bytesMax + 1L)];
        long total = 0;
        while (true)
        {
            int want = (int)Math.Min(chunk.Length, bytesMax + 1L - total);
            if (want == 0) break;
            int n = stream.Read(chunk, 0, want);
            if (n == 0) break;
            buffer.Write(chunk, 0, n);
            total += n;
        }
        if (total > bytesMax) throw new BoundedFileException(path, $"larger than the limit of {bytesMax} bytes");
        return buffer.ToArray();
    }
}

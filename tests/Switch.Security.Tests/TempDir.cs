namespace Switch.Security.Tests;

/// <summary>A temporary directory removed when the test ends.</summary>
public sealed class TempDir : IDisposable
{
    /// <summary>Creates a fresh directory under the system temp path.</summary>
    public TempDir(string prefix = "switch-sec-")
    {
        Path = Directory.CreateTempSubdirectory(prefix).FullName;
    }

    /// <summary>The directory.</summary>
    public string Path { get; }

    /// <summary>Deletes the directory tree.</summary>
    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { /* best effort: a leftover temp dir is harmless */ }
    }
}

namespace Switch.Journal.Tests;

/// <summary>A directory under /tmp that the test owns and deletes.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir(string prefix = "sj") => Directory.CreateDirectory(Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}"));

    public string Path { get; }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { }
    }
}

namespace Switch.Iso8583.Spec;

/// <summary>
/// The one set of specs of a running switch: every listener, connector and the pipeline that name the same spec
/// (a built-in name, or a file by any path that leads to it) get the same <see cref="MessageSpec"/> object, so a
/// message decoded by one can be encoded by another. Built at start, while the configuration is validated.
/// </summary>
public sealed class SpecRegistry
{
    private readonly Dictionary<string, MessageSpec> _specs = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>
    /// The spec named by <paramref name="nameOrPath"/>: a built-in name (<see cref="SpecCatalog.BuiltIn"/>), or a JSON /
    /// jPOS XML spec file read once through <see cref="SpecCatalog.Resolve"/> (bounded: at most
    /// <see cref="MessageSpec.SpecFileBytesMax"/> bytes, regular files only, so a device or FIFO cannot hang the start), and
    /// the same object ever after. Throws
    /// <see cref="IsoFormatException"/> when the name is unknown or the file is missing, unreadable or invalid.
    /// </summary>
    public MessageSpec Resolve(string nameOrPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(nameOrPath);
        string key = CanonicalName(nameOrPath);
        lock (_lock)
        {
            if (_specs.TryGetValue(key, out var known)) return known;
            var spec = Load(key);
            _specs.Add(key, spec);
            return spec;
        }
    }

    private static MessageSpec Load(string key) => SpecCatalog.Resolve(key);

    /// <summary>True when <paramref name="spec"/> is one of this registry's objects.</summary>
    public bool Contains(MessageSpec spec)
    {
        lock (_lock) return _specs.ContainsValue(spec);
    }

    /// <summary>Every spec resolved so far, by canonical name (built-in name or full file path).</summary>
    public IReadOnlyDictionary<string, MessageSpec> Specs
    {
        get
        {
            lock (_lock) return new Dictionary<string, MessageSpec>(_specs, StringComparer.Ordinal);
        }
    }

    /// <summary>
    /// A built-in name as it is; a file as its full path with symbolic links followed, so "specs/x.json",
    /// "./specs/x.json" and a link to it are one spec.
    /// </summary>
    public static string CanonicalName(string nameOrPath)
    {
        if (SpecCatalog.BuiltInNames.Contains(nameOrPath)) return nameOrPath;
        string full = Path.GetFullPath(nameOrPath);
        try
        {
            return new FileInfo(full).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? full;
        }
        catch (IOException)
        {
            // A broken or looping link: the catalog then reports the path as it is.
            return full;
        }
    }
}

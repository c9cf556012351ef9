using System.Collections.Concurrent;
using System.Reflection;

namespace Switch.Iso8583.Spec;

/// <summary>
/// Finds a spec by name or path: a built-in name (the JSON files of specs/iso8583 embedded in this
/// assembly), a JSON spec file, or a jPOS GenericPackager XML file. Built-ins are parsed once.
/// </summary>
public static class SpecCatalog
{
    private const string ResourcePrefix = "Switch.Iso8583.Specs.";
    private static readonly ConcurrentDictionary<string, MessageSpec> Cache = new(StringComparer.Ordinal);

    /// <summary>Names of the built-in specs.</summary>
    public static IReadOnlyList<string> BuiltInNames { get; } = typeof(SpecCatalog).Assembly
        .GetManifestResourceNames()
        .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(".json", StringComparison.Ordinal))
        .Select(n => n[ResourcePrefix.Length..^".json".Length])
        .Order(StringComparer.Ordinal)
        .ToArray();

    /// <summary>A built-in spec by name; throws <see cref="IsoFormatException"/> when unknown.</summary>
    public static MessageSpec BuiltIn(string name)
    {
        return Cache.GetOrAdd(name, static n =>
        {
            using var stream = typeof(SpecCatalog).Assembly.GetManifestResourceStream(ResourcePrefix + n + ".json")
                ?? throw new IsoFormatException($"unknown spec '{n}' (built-in specs: {string.Join(", ", BuiltInNames)})");
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            return SpecJson.Parse(buffer.ToArray(), $"built-in spec {n}");
        });
    }

    /// <summary>
    /// Resolves a built-in name, a <c>.json</c> spec file or a jPOS GenericPackager <c>.xml</c> file.
    /// Files whose extension is neither are sniffed: XML starts with '&lt;'.
    /// </summary>
    public static MessageSpec Resolve(string nameOrPath)
    {
        if (BuiltInNames.Contains(nameOrPath)) return BuiltIn(nameOrPath);
        if (!File.Exists(nameOrPath) && !Directory.Exists(nameOrPath))
            throw new IsoFormatException($"spec '{nameOrPath}' is neither a built-in ({string.Join(", ", BuiltInNames)}) nor an existing file");
        byte[] bytes = MessageSpec.ReadSpecFile(nameOrPath);
        return LooksLikeXml(bytes) ? JposPackagerImporter.Parse(bytes, nameOrPath) : SpecJson.Parse(bytes, nameOrPath);
    }

    private static readonly System.Buffers.SearchValues<byte> Whitespace = System.Buffers.SearchValues.Create(" \t\r\n"u8);

    private static bool LooksLikeXml(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) bytes = bytes[3..];
        int i = bytes.IndexOfAnyExcept(Whitespace);
        return i >= 0 && bytes[i] == (byte)'<';
    }

    /// <summary>For tests and tools: the raw JSON of a built-in spec.</summary>
    public static string BuiltInJson(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(ResourcePrefix + name + ".json")
            ?? throw new IsoFormatException($"unknown spec '{name}'");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}

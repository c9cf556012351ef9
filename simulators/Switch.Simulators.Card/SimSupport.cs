using Switch.Core.MasterData;
using Switch.Iso8583.Spec;
using Switch.Network.Config;
using Switch.Transport.Framing;

namespace Switch.Simulators.Card;

/// <summary>The wire options every simulator shares: framing and spec by name, checked with a clear message.</summary>
public static class SimWire
{
    /// <summary>The default spec of the simulators (the demo configuration's).</summary>
    public const string DefaultSpec = "iso8583-1987-binary";

    /// <summary>The spec named (a built-in name or a spec file).</summary>
    public static MessageSpec Spec(string nameOrPath) => SpecCatalog.Resolve(nameOrPath);

    /// <summary>
    /// A frame format from a length kind (binary2, binary2-inclusive, bcd2, ascii4, none) and a header kind (none, tpdu);
    /// throws <see cref="ArgumentException"/> naming the accepted values.
    /// </summary>
    public static FrameFormat Framing(string length, string header, MessageSpec spec, int frameBytesMax = 8192)
    {
        if (!FramingFactory.LengthKinds.Contains(length))
            throw new ArgumentException($"framing '{length}' is not one of {string.Join(", ", FramingFactory.LengthKinds)}");
        if (header is not ("none" or "tpdu"))
            throw new ArgumentException($"header '{header}' is not one of none, tpdu");
        return FramingFactory.Create(new FramingOptions { Length = length, Header = header, FrameBytesMax = frameBytesMax }, spec);
    }
}

/// <summary>Demo keys by key-store name (TEST DATA, from <see cref="DemoDataSet"/>), or clear hex given by the tester.</summary>
public static class DemoKeys
{
    private static readonly System.Buffers.SearchValues<char> HexChars = System.Buffers.SearchValues.Create("0123456789ABCDEFabcdef");

    /// <summary>The remote issuer's ZPK name in the demo data set.</summary>
    public static string IssuerZpkName => DemoDataSet.All.RemoteIssuer.ZpkRef;

    /// <summary>
    /// Clear hex of a key given as a demo key name (demo-tpk, demo-tak, demo-zpk-issuer-sim, …) or as 32 or 48 hex digits;
    /// throws <see cref="ArgumentException"/> otherwise (the message never repeats the value: it may be a key).
    /// </summary>
    public static string ClearHex(string nameOrHex, string what)
    {
        var demo = DemoDataSet.All.Keys.FirstOrDefault(k => string.Equals(k.Name, nameOrHex, StringComparison.OrdinalIgnoreCase));
        if (demo is not null) return demo.ClearHex;
        bool hex = nameOrHex.Length is 32 or 48 && !nameOrHex.AsSpan().ContainsAnyExcept(HexChars);
        if (!hex)
            throw new ArgumentException($"{what}: not a demo key name ({string.Join(", ", DemoDataSet.All.Keys.Select(k => k.Name))}) nor 32 or 48 hex digits");
        return nameOrHex.ToUpperInvariant();
    }
}

/// <summary>The simulators' strict JSON files (scripts): bounded read, no comments, trailing commas, unknown or duplicate keys.</summary>
public static class SimJson
{
    /// <summary>The strict JSON of every simulator file (scripts, profiles, rules, certification suites): no comments, no
    /// trailing commas, no unknown or duplicate properties, nullable annotations respected.</summary>
    public static readonly System.Text.Json.JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.CamelCase,
        ReadCommentHandling = System.Text.Json.JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
        RespectNullableAnnotations = true,
        AllowDuplicateProperties = false,
    };

    /// <summary>
    /// Reads <paramref name="path"/> (at most <paramref name="bytesMax"/> bytes, regular files only) as a <typeparamref name="T"/>;
    /// throws <see cref="ArgumentException"/> starting with <paramref name="what"/> and naming the file and the line and column.
    /// </summary>
    public static T Load<T>(string path, string what, int bytesMax) where T : class
    {
        string text;
        try
        {
            text = Switch.Common.IO.BoundedFile.ReadAllText(path, bytesMax);
        }
        catch (Switch.Common.IO.BoundedFileException ex)
        {
            throw new ArgumentException($"{what} {ex.Message}");
        }
        T? value;
        try
        {
            value = System.Text.Json.JsonSerializer.Deserialize<T>(text, Options);
        }
        catch (System.Text.Json.JsonException ex)
        {
            string where = ex.LineNumber is long line ? $"line {line + 1}, column {(ex.BytePositionInLine ?? 0) + 1}" : "position unknown";
            int tail = ex.Message.IndexOf(" Path: ", StringComparison.Ordinal);
            throw new ArgumentException($"{what} {path}: {where}: {(tail > 0 ? ex.Message[..tail] : ex.Message)}");
        }
        return value ?? throw new ArgumentException($"{what} {path}: must be a JSON object");
    }
}

using System.Globalization;
using System.Text.Json;
using Switch.Common.Configuration;

namespace Switch.Cli.Hosting;

/// <summary>
/// Finds a key given twice in one object, with its key path and line: the runtime refuses duplicates too, but without
/// saying where, and in a configuration file "where" is the whole point.
/// </summary>
internal static class JsonDuplicateKeys
{
    /// <summary>One open object or array while reading.</summary>
    private sealed class Scope(string path, bool isObject)
    {
        public string Path { get; } = path;
        public bool IsObject { get; } = isObject;
        public HashSet<string> Keys { get; } = new(StringComparer.Ordinal);
        public string? Property { get; set; }
        public int Index { get; set; } = -1;
    }

    /// <summary>Reads the whole document; a syntax error is a <see cref="JsonException"/> with its line, a duplicate key a <see cref="ConfigException"/>.</summary>
    public static void Check(ReadOnlySpan<byte> utf8, string file, JsonReaderOptions options)
    {
        var reader = new Utf8JsonReader(utf8, options);
        var scopes = new Stack<Scope>();
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    var scope = scopes.Peek();
                    string name = reader.GetString()!;
                    scope.Property = name;
                    if (!scope.Keys.Add(name))
                        throw new ConfigException(file, Join(scope.Path, name), $"is given twice in one object (again at {Position(utf8, reader.TokenStartIndex)})");
                    break;
                case JsonTokenType.StartObject:
                case JsonTokenType.StartArray:
                    string path = scopes.Count == 0 ? "" : ValuePath(scopes.Peek());
                    scopes.Push(new Scope(path, reader.TokenType == JsonTokenType.StartObject));
                    break;
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    scopes.Pop();
                    break;
                case JsonTokenType.Comment:
                    break;
                default:
                    if (scopes.Count > 0) ValuePath(scopes.Peek());
                    break;
            }
        }
    }

    /// <summary>The path of the value that starts now in <paramref name="scope"/> (an array counts it).</summary>
    private static string ValuePath(Scope scope)
    {
        if (scope.IsObject) return Join(scope.Path, scope.Property ?? "");
        scope.Index++;
        return $"{scope.Path}[{scope.Index}]";
    }

    private static string Join(string path, string name) => path.Length == 0 ? name : $"{path}.{name}";

    /// <summary>"line L, position P" (from 1, P in bytes) of a byte offset.</summary>
    public static string Position(ReadOnlySpan<byte> utf8, long offset)
    {
        var before = utf8[..(int)Math.Min(offset, utf8.Length)];
        int line = before.Count((byte)'\n') + 1;
        int lineStart = before.LastIndexOf((byte)'\n') + 1;
        return string.Create(CultureInfo.InvariantCulture, $"line {line}, position {before.Length - lineStart + 1}");
    }
}

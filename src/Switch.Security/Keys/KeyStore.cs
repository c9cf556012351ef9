using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Switch.Common.IO;

namespace Switch.Security.Keys;

/// <summary>One key in the store: metadata and its cryptogram under the LMK — never clear material.</summary>
public sealed record StoredKey(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("type")] KeyType Type,
    [property: JsonPropertyName("algorithm")] KeyAlgorithm Algorithm,
    [property: JsonPropertyName("length_bytes")] int LengthBytes,
    [property: JsonPropertyName("kcv")] string Kcv,
    [property: JsonPropertyName("created")] DateTimeOffset Created,
    [property: JsonPropertyName("cryptogram")] string Cryptogram);

/// <summary>
/// A file-based key store (keys.json next to lmk.json). Writes are atomic (temporary file, then rename) so a crash
/// never leaves a half-written store. Postgres replaces this later; the record shape stays.
/// </summary>
public sealed class FileKeyStore
{
    /// <summary>Key file name inside the store directory.</summary>
    public const string FileName = "keys.json";

    /// <summary>Upper bound on stored keys; a switch needs hundreds, not millions.</summary>
    public const int KeysMax = 10_000;

    private const int FileBytesMax = 16 * 1024 * 1024;
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    private readonly string _path;

    /// <summary>Opens (or prepares) the store in <paramref name="directory"/>.</summary>
    public FileKeyStore(string directory)
    {
        Directory = directory;
        _path = Path.Combine(directory, FileName);
    }

    /// <summary>The store directory.</summary>
    public string Directory { get; }

    /// <summary>Default store directory: ./.switch (git-ignored); the host applies its own overrides.</summary>
    public static string DefaultDirectory => Path.Combine(".", ".switch");

    /// <summary>All keys, by name.</summary>
    public IReadOnlyList<StoredKey> List()
    {
        if (!File.Exists(_path)) return [];
        var keys = JsonSerializer.Deserialize<List<StoredKey>>(BoundedFile.ReadAllText(_path, FileBytesMax), Json) ?? [];
        return [.. keys.OrderBy(k => k.Name, StringComparer.Ordinal)];
    }

    /// <summary>The named key, or an error naming the store.</summary>
    public StoredKey Get(string name) =>
        List().FirstOrDefault(k => k.Name == name) ?? throw new KeyNotFoundException($"key '{name}' is not in {_path}");

    /// <summary>Adds a key; the name must be new.</summary>
    public void Add(StoredKey key)
    {
        ValidateName(key.Name);
        var keys = List().ToList();
        if (keys.Any(k => k.Name == key.Name)) throw new SecurityInputException($"name: key '{key.Name}' already exists (remove it first)");
        if (keys.Count >= KeysMax) throw new IOException($"{_path}: store is full ({KeysMax} keys)");
        keys.Add(key);
        Save(keys);
    }

    /// <summary>Removes a key; returns false when it was not there.</summary>
    public bool Remove(string name)
    {
        var keys = List().ToList();
        int removed = keys.RemoveAll(k => k.Name == name);
        if (removed > 0) Save(keys);
        return removed > 0;
    }

    /// <summary>Key names: letters, digits, '.', '-', '_' (1–64 characters), safe in logs and file names.</summary>
    public static void ValidateName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
        {
            throw new SecurityInputException("name: 1-64 characters of letters, digits, '.', '-' or '_'");
        }
    }

    /// <summary>Parses a key type name (zmk, zpk, tpk, pvk, cvk, tak, zak, bdk, imk-ac).</summary>
    public static KeyType ParseType(string? text) => text?.ToLowerInvariant() switch
    {
        "zmk" => KeyType.Zmk, "zpk" => KeyType.Zpk, "tpk" => KeyType.Tpk, "pvk" => KeyType.Pvk, "cvk" => KeyType.Cvk,
        "tak" => KeyType.Tak, "zak" => KeyType.Zak, "bdk" => KeyType.Bdk, "imk-ac" or "imkac" or "imk" => KeyType.ImkAc,
        _ => throw new SecurityInputException("type: must be zmk, zpk, tpk, pvk, cvk, tak, zak, bdk or imk-ac"),
    };

    private void Save(List<StoredKey> keys)
    {
        System.IO.Directory.CreateDirectory(Directory);
        string temp = _path + "." + Guid.NewGuid().ToString("N", CultureInfo.InvariantCulture) + ".tmp";
        File.WriteAllText(temp, JsonSerializer.Serialize(keys, Json));
        File.Move(temp, _path, overwrite: true);
    }
}

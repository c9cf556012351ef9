using System.Text.Json;

namespace Switch.Security.Tests;

/// <summary>One vector from Vectors/public-vectors.json.</summary>
public sealed record CryptoVector(string Id, string Op, IReadOnlyDictionary<string, string> In, IReadOnlyDictionary<string, string> Out)
{
    /// <summary>Test display name.</summary>
    public override string ToString() => Id;
}

/// <summary>Loads the copied public vectors for theories.</summary>
public static class VectorFile
{
    private static readonly Lazy<IReadOnlyList<CryptoVector>> All = new(Load);

    /// <summary>Every vector.</summary>
    public static IReadOnlyList<CryptoVector> Vectors => All.Value;

    /// <summary>Vector ids as theory data (ids keep the data serializable for test discovery).</summary>
    public static TheoryData<string> Ids() => Ids(_ => true);

    /// <summary>Ids of the vectors that match <paramref name="filter"/>.</summary>
    public static TheoryData<string> Ids(Func<CryptoVector, bool> filter)
    {
        var data = new TheoryData<string>();
        foreach (var v in Vectors.Where(filter)) data.Add(v.Id);
        return data;
    }

    /// <summary>Finds a vector by id.</summary>
    public static CryptoVector Get(string id) => Vectors.Single(v => v.Id == id);

    private static List<CryptoVector> Load()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Vectors", "public-vectors.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var list = new List<CryptoVector>();
        foreach (JsonElement e in doc.RootElement.EnumerateArray())
        {
            list.Add(new CryptoVector(
                e.GetProperty("id").GetString()!,
                e.GetProperty("op").GetString()!,
                e.GetProperty("in").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!),
                e.GetProperty("out").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!)));
        }
        return list;
    }
}

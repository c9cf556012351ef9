using System.Globalization;
using System.Text;

namespace Switch.Simulators.Load;

/// <summary>
/// Percentages of each request kind, written <c>purchase=70,withdrawal=10,inquiry=10,reversal=10</c>: comma-separated
/// <c>kind=percent</c> pairs, kinds purchase, withdrawal, inquiry, reversal, each at most once, whole percentages 0–100
/// summing to 100; a kind left out is 0. A reversal reverses an approved purchase or withdrawal of the same run; while
/// none is waiting, a purchase is sent in its place.
/// </summary>
public sealed class LoadMix
{
    private static readonly string[] Names = ["purchase", "withdrawal", "inquiry", "reversal"];
    private readonly int[] _percent;
    private readonly LoadKind[] _table = new LoadKind[100];

    private LoadMix(int[] percent)
    {
        _percent = percent;
        int slot = 0;
        for (int k = 0; k < percent.Length; k++)
        {
            for (int i = 0; i < percent[k]; i++) _table[slot++] = (LoadKind)k;
        }
    }

    /// <summary>purchase=70,withdrawal=10,inquiry=10,reversal=10.</summary>
    public static LoadMix Default { get; } = Parse("purchase=70,withdrawal=10,inquiry=10,reversal=10");

    /// <summary>The percentage of a kind.</summary>
    public int Percent(LoadKind kind) => _percent[(int)kind];

    /// <summary>The kind for a draw 0–99 (each kind gets as many of the 100 draws as its percentage).</summary>
    public LoadKind Pick(int draw) => _table[draw];

    /// <summary>Parses the mix; throws <see cref="ArgumentException"/> saying which pair (1-based) is wrong and why.</summary>
    public static LoadMix Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) throw new ArgumentException("mix: empty; expected e.g. purchase=70,withdrawal=10,inquiry=10,reversal=10");
        var percent = new int[Names.Length];
        var seen = new bool[Names.Length];
        string[] pairs = text.Split(',');
        for (int i = 0; i < pairs.Length; i++)
        {
            (int kind, int value) = ParsePair(pairs[i].Trim(), i + 1);
            if (seen[kind]) throw new ArgumentException($"mix: pair {i + 1}: {Names[kind]} is given twice");
            seen[kind] = true;
            percent[kind] = value;
        }
        int sum = percent.Sum();
        if (sum != 100) throw new ArgumentException($"mix: the percentages sum to {sum}, not 100");
        return new LoadMix(percent);
    }

    private static (int Kind, int Value) ParsePair(string pair, int position)
    {
        int eq = pair.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0) throw new ArgumentException($"mix: pair {position} '{pair}': expected kind=percent");
        string name = pair[..eq].Trim().ToLowerInvariant();
        int kind = Array.IndexOf(Names, name);
        if (kind < 0) throw new ArgumentException($"mix: pair {position}: unknown kind '{pair[..eq].Trim()}'; kinds are {string.Join(", ", Names)}");
        string number = pair[(eq + 1)..].Trim();
        if (!int.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out int value) || value > 100)
            throw new ArgumentException($"mix: pair {position}: '{number}' is not a whole percentage 0-100");
        return (kind, value);
    }

    /// <summary>The canonical text (every kind, in order).</summary>
    public override string ToString()
    {
        var b = new StringBuilder();
        for (int k = 0; k < Names.Length; k++) b.Append(k == 0 ? "" : ",").Append(Names[k]).Append('=').Append(_percent[k].ToString(CultureInfo.InvariantCulture));
        return b.ToString();
    }

    /// <summary>The name of a kind as the mix and the report write it.</summary>
    public static string Name(LoadKind kind) => Names[(int)kind];
}

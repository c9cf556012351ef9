using System.Globalization;

namespace Switch.Admin.Tests;

/// <summary>A strict reader of the Prometheus text exposition format (0.0.4): # HELP / # TYPE lines and samples.</summary>
internal sealed class PrometheusText
{
    private PrometheusText(Dictionary<string, string> types, List<Sample> samples)
    {
        Types = types;
        Samples = samples;
    }

    public IReadOnlyDictionary<string, string> Types { get; }
    public IReadOnlyList<Sample> Samples { get; }

    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    public static PrometheusText Parse(string text)
    {
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var samples = new List<Sample>();
        int lineNo = 0;
        foreach (string line in text.Split('\n'))
        {
            lineNo++;
            if (line.Length == 0) continue;
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                Assert.True(parts.Length == 4, $"line {lineNo}: malformed TYPE line: {line}");
                types.Add(parts[2], parts[3]);
                continue;
            }
            if (line.StartsWith('#')) continue;
            samples.Add(ParseSample(line, lineNo));
        }
        return new PrometheusText(types, samples);
    }

    private static Sample ParseSample(string line, int lineNo)
    {
        int brace = line.IndexOf('{', StringComparison.Ordinal);
        int space = line.LastIndexOf(' ');
        Assert.True(space > 0, $"line {lineNo}: no value: {line}");
        string name = brace > 0 && brace < space ? line[..brace] : line[..space];
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (brace > 0 && brace < space)
        {
            int close = line.LastIndexOf('}');
            Assert.True(close > brace, $"line {lineNo}: unclosed labels: {line}");
            foreach (string pair in SplitLabels(line[(brace + 1)..close]))
            {
                int eq = pair.IndexOf('=', StringComparison.Ordinal);
                Assert.True(eq > 0 && pair[eq + 1] == '"' && pair[^1] == '"', $"line {lineNo}: malformed label {pair}");
                labels.Add(pair[..eq], pair[(eq + 2)..^1]);
            }
        }
        string valueText = line[(space + 1)..];
        double value = valueText switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            _ => double.Parse(valueText, NumberStyles.Float, CultureInfo.InvariantCulture),
        };
        Assert.Matches("^[a-zA-Z_:][a-zA-Z0-9_:]*$", name);
        return new Sample(name, labels, value);
    }

    private static IEnumerable<string> SplitLabels(string body)
    {
        int start = 0;
        bool quoted = false;
        for (int i = 0; i < body.Length; i++)
        {
            if (body[i] == '"' && (i == 0 || body[i - 1] != '\\')) quoted = !quoted;
            if (body[i] == ',' && !quoted)
            {
                yield return body[start..i];
                start = i + 1;
            }
        }
        if (start < body.Length) yield return body[start..];
    }

    /// <summary>The one sample of <paramref name="name"/> with exactly these labels (fails when absent).</summary>
    public double Value(string name, params (string Key, string Value)[] labels)
    {
        var match = Samples.Where(s => s.Name == name && s.Labels.Count == labels.Length && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).ToList();
        Assert.True(match.Count == 1, $"expected one sample {name}{{{string.Join(",", labels.Select(l => $"{l.Key}=\"{l.Value}\""))}}}, found {match.Count}");
        return match[0].Value;
    }

    public bool Has(string name) => Samples.Any(s => s.Name == name);
}

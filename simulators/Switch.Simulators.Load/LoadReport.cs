using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using HdrHistogram;

namespace Switch.Simulators.Load;

/// <summary>A point of the latency-percentile curve.</summary>
public sealed record LatencyPoint(double Percentile, double Ms);

/// <summary>
/// What a run did: counts (every request sent is answered, an error or a timeout: <c>Sent = Answered + Errors +
/// Timeouts</c>), throughput, latency percentiles from the HdrHistogram of every answer (open loop: from the intended
/// send time), DE 39 counts (an answer without DE 39, as from an echo, counts under "none"), and with
/// <see cref="LoadOptions.CompareEcho"/> the echo's report and the ratios. No card data in it.
/// </summary>
public sealed record LoadReport
{
    /// <summary>The DE 39 key of an answer that has none (an echo's answer is the request itself).</summary>
    public const string NoResponseCode = "none";

    /// <summary>"open" or "closed".</summary>
    public required string Mode { get; init; }
    /// <summary>host:port.</summary>
    public required string Target { get; init; }
    /// <summary>DE 41.</summary>
    public required string TerminalId { get; init; }
    /// <summary>TCP connections.</summary>
    public int Connections { get; init; }
    /// <summary>In flight per connection (closed loop window, open loop cap).</summary>
    public int InFlight { get; init; }
    /// <summary>Open loop: the arrival rate asked for.</summary>
    public int? TargetTps { get; init; }
    /// <summary>The mix, canonical.</summary>
    public required string Mix { get; init; }
    /// <summary>0: the demo cards; N: generated cards.</summary>
    public int Cards { get; init; }
    /// <summary>How long requests were sent.</summary>
    public double DurationSeconds { get; init; }
    /// <summary>Requests sent.</summary>
    public long Sent { get; init; }
    /// <summary>Requests answered (a decodable answer to it, any DE 39).</summary>
    public long Answered { get; init; }
    /// <summary>Requests lost to a failed connection or answered with a wrong MTI.</summary>
    public long Errors { get; init; }
    /// <summary>Requests unanswered within the timeout.</summary>
    public long Timeouts { get; init; }
    /// <summary>Answers that arrived after their request timed out (not counted in answered).</summary>
    public long LateAnswers { get; init; }
    /// <summary>Open loop: requests due that could not be sent before the end (the in-flight cap was full).</summary>
    public long Unsent { get; init; }
    /// <summary>Answered per second of sending.</summary>
    public double ThroughputPerSecond { get; init; }
    /// <summary>Latency percentiles and maximum (ms).</summary>
    public double P50Ms { get; init; }
    /// <summary>90th percentile (ms).</summary>
    public double P90Ms { get; init; }
    /// <summary>99th percentile (ms).</summary>
    public double P99Ms { get; init; }
    /// <summary>99.9th percentile (ms).</summary>
    public double P999Ms { get; init; }
    /// <summary>Largest latency (ms).</summary>
    public double MaxMs { get; init; }
    /// <summary>Mean latency (ms).</summary>
    public double MeanMs { get; init; }
    /// <summary>Latencies recorded (one per answer).</summary>
    public long HistogramCount { get; init; }
    /// <summary>DE 39 → answers.</summary>
    public required IReadOnlyDictionary<string, long> ResponseCodes { get; init; }
    /// <summary>Kind → requests sent (a reversal with nothing to reverse yet went as a purchase).</summary>
    public required IReadOnlyDictionary<string, long> SentByKind { get; init; }
    /// <summary>Error message → count.</summary>
    public required IReadOnlyDictionary<string, long> ErrorKinds { get; init; }
    /// <summary>The latency-percentile curve.</summary>
    public required IReadOnlyList<LatencyPoint> Percentiles { get; init; }
    /// <summary>With --compare-echo: the same shape against the echo.</summary>
    public LoadReport? Echo { get; init; }

    /// <summary>Target throughput / echo throughput (null without an echo run).</summary>
    public double? ThroughputRatio => Echo is { ThroughputPerSecond: > 0 } e ? ThroughputPerSecond / e.ThroughputPerSecond : null;
    /// <summary>Target p50 / echo p50.</summary>
    public double? P50Ratio => Ratio(P50Ms, Echo?.P50Ms);
    /// <summary>Target p99 / echo p99.</summary>
    public double? P99Ratio => Ratio(P99Ms, Echo?.P99Ms);
    /// <summary>Target p99.9 / echo p99.9.</summary>
    public double? P999Ratio => Ratio(P999Ms, Echo?.P999Ms);

    private static double? Ratio(double a, double? b) => b is > 0 ? a / b : null;

    internal static LoadReport Build(LoadRun run, LoadConnection[] connections, LongHistogram total, long unsent, double sendSeconds)
    {
        var codes = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var c in connections)
        {
            foreach (var (code, n) in c.Codes) codes[code] = codes.GetValueOrDefault(code) + n;
        }
        var kinds = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (LoadKind k in Enum.GetValues<LoadKind>()) kinds[LoadMix.Name(k)] = connections.Sum(c => c.SentByKind[(int)k]);
        var o = run.Options;
        long answered = connections.Sum(c => c.Answered);
        return new LoadReport
        {
            Mode = o.Mode == LoadMode.Open ? "open" : "closed",
            Target = o.Target,
            TerminalId = o.TerminalId,
            Connections = o.Connections,
            InFlight = o.InFlight,
            TargetTps = o.Mode == LoadMode.Open ? o.Tps : null,
            Mix = o.Mix.ToString(),
            Cards = o.Cards,
            DurationSeconds = Math.Round(sendSeconds, 3),
            Sent = connections.Sum(c => c.Sent),
            Answered = answered,
            Errors = connections.Sum(c => c.Errors),
            Timeouts = connections.Sum(c => c.Timeouts),
            LateAnswers = connections.Sum(c => c.Late),
            Unsent = unsent,
            ThroughputPerSecond = sendSeconds > 0 ? Math.Round(answered / sendSeconds, 1) : 0,
            P50Ms = Ms(total, 50),
            P90Ms = Ms(total, 90),
            P99Ms = Ms(total, 99),
            P999Ms = Ms(total, 99.9),
            MaxMs = total.TotalCount == 0 ? 0 : total.GetMaxValue() / 1000.0,
            MeanMs = total.TotalCount == 0 ? 0 : Math.Round(total.GetMean() / 1000.0, 3),
            HistogramCount = total.TotalCount,
            ResponseCodes = codes,
            SentByKind = kinds,
            ErrorKinds = new SortedDictionary<string, long>(run.ErrorKinds.ToDictionary(), StringComparer.Ordinal),
            Percentiles = Curve(total),
        };
    }

    private static double Ms(LongHistogram h, double percentile) => h.TotalCount == 0 ? 0 : h.GetValueAtPercentile(percentile) / 1000.0;

    /// <summary>The curve at 0, 90, 99, 99.9 … (ten points per nine, up to 99.999) and 100.</summary>
    private static List<LatencyPoint> Curve(LongHistogram h)
    {
        var points = new List<LatencyPoint>();
        if (h.TotalCount == 0) return points;
        for (int i = 0; i <= 50; i++)
        {
            double p = 100 - 100 / Math.Pow(10, i / 10.0);
            points.Add(new LatencyPoint(Math.Round(p, 4), Ms(h, p)));
        }
        points.Add(new LatencyPoint(100, h.GetMaxValue() / 1000.0));
        return points;
    }

    /// <summary>The report as JSON (camelCase; the echo's report nested under "echo" with the ratios beside it).</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            Write(w);
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private void Write(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("mode", Mode);
        w.WriteString("target", Target);
        w.WriteString("terminalId", TerminalId);
        w.WriteNumber("connections", Connections);
        w.WriteNumber("inFlight", InFlight);
        if (TargetTps is int tps) w.WriteNumber("targetTps", tps);
        w.WriteString("mix", Mix);
        w.WriteNumber("cards", Cards);
        w.WriteNumber("durationSeconds", DurationSeconds);
        w.WriteNumber("sent", Sent);
        w.WriteNumber("answered", Answered);
        w.WriteNumber("errors", Errors);
        w.WriteNumber("timeouts", Timeouts);
        w.WriteNumber("lateAnswers", LateAnswers);
        w.WriteNumber("unsent", Unsent);
        w.WriteNumber("throughputPerSecond", ThroughputPerSecond);
        w.WriteNumber("p50Ms", P50Ms);
        w.WriteNumber("p90Ms", P90Ms);
        w.WriteNumber("p99Ms", P99Ms);
        w.WriteNumber("p999Ms", P999Ms);
        w.WriteNumber("maxMs", MaxMs);
        w.WriteNumber("meanMs", MeanMs);
        w.WriteNumber("histogramCount", HistogramCount);
        WriteCounts(w, "responseCodes", ResponseCodes);
        WriteCounts(w, "sentByKind", SentByKind);
        WriteCounts(w, "errorKinds", ErrorKinds);
        w.WriteStartArray("percentiles");
        foreach (var p in Percentiles)
        {
            w.WriteStartObject();
            w.WriteNumber("percentile", p.Percentile);
            w.WriteNumber("ms", p.Ms);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        if (Echo is not null)
        {
            w.WritePropertyName("echo");
            Echo.Write(w);
            w.WriteStartObject("ratio");
            WriteRatio(w, "throughput", ThroughputRatio);
            WriteRatio(w, "p50", P50Ratio);
            WriteRatio(w, "p99", P99Ratio);
            WriteRatio(w, "p999", P999Ratio);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }

    private static void WriteCounts(Utf8JsonWriter w, string name, IReadOnlyDictionary<string, long> counts)
    {
        w.WriteStartObject(name);
        foreach (var (k, n) in counts) w.WriteNumber(k, n);
        w.WriteEndObject();
    }

    private static void WriteRatio(Utf8JsonWriter w, string name, double? value)
    {
        if (value is double v) w.WriteNumber(name, Math.Round(v, 3));
        else w.WriteNull(name);
    }

    /// <summary>The plain-text table (and, with an echo run, the echo's column and the ratios).</summary>
    public string ToTable()
    {
        var rows = Rows(this);
        var echoRows = Echo is null ? null : Rows(Echo);
        var b = new StringBuilder();
        int width = rows.Max(r => r.Name.Length) + 2;
        b.Append("load ".PadRight(width)).Append(Pad(Target, 18));
        if (echoRows is not null) b.Append(Pad("echo", 18)).Append(Pad("ratio", 10));
        b.Append('\n');
        for (int i = 0; i < rows.Count; i++)
        {
            b.Append(rows[i].Name.PadRight(width)).Append(Pad(rows[i].Value, 18));
            if (echoRows is not null) b.Append(Pad(echoRows[i].Value, 18)).Append(Pad(RatioOf(rows[i].Name), 10));
            b.Append('\n');
        }
        b.Append("DE39".PadRight(width)).Append(string.Join(" ", ResponseCodes.Select(kv => $"{kv.Key}={kv.Value}"))).Append('\n');
        b.Append("sent by kind".PadRight(width)).Append(string.Join(" ", SentByKind.Select(kv => $"{kv.Key}={kv.Value}"))).Append('\n');
        foreach (var (message, n) in ErrorKinds) b.Append("error".PadRight(width)).Append(Inv($"{n} × {message}")).Append('\n');
        return b.ToString();
    }

    private string RatioOf(string row) => row switch
    {
        "throughput/s" => Fmt(ThroughputRatio),
        "p50 ms" => Fmt(P50Ratio),
        "p99 ms" => Fmt(P99Ratio),
        "p99.9 ms" => Fmt(P999Ratio),
        _ => "",
    };

    private static string Fmt(double? v) => v is double d ? d.ToString("0.000", CultureInfo.InvariantCulture) : "-";

    private static string Pad(string s, int n) => s.PadLeft(n);

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static List<(string Name, string Value)> Rows(LoadReport r) =>
    [
        ("mode", r.Mode + (r.TargetTps is int t ? Inv($" {t}/s") : "")),
        ("connections x inflight", Inv($"{r.Connections} x {r.InFlight}")),
        ("duration s", Inv($"{r.DurationSeconds:0.0}")),
        ("sent", Inv($"{r.Sent}")),
        ("answered", Inv($"{r.Answered}")),
        ("errors", Inv($"{r.Errors}")),
        ("timeouts", Inv($"{r.Timeouts}")),
        ("unsent", Inv($"{r.Unsent}")),
        ("throughput/s", Inv($"{r.ThroughputPerSecond:0.0}")),
        ("p50 ms", Inv($"{r.P50Ms:0.000}")),
        ("p90 ms", Inv($"{r.P90Ms:0.000}")),
        ("p99 ms", Inv($"{r.P99Ms:0.000}")),
        ("p99.9 ms", Inv($"{r.P999Ms:0.000}")),
        ("max ms", Inv($"{r.MaxMs:0.000}")),
    ];

    /// <summary>One self-contained HTML page: the table and the latency-percentile curve as inline SVG (no scripts, styles or images from elsewhere).</summary>
    public string ToHtml()
    {
        var b = new StringBuilder();
        b.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>switch sim load: ").Append(WebUtility.HtmlEncode(Target)).Append("</title>\n");
        b.Append("<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:right}"
            + "th{background:#eee}pre{background:#f6f6f6;padding:1em}</style></head><body>\n");
        b.Append("<h1>Load: ").Append(WebUtility.HtmlEncode(Target)).Append("</h1>\n");
        b.Append("<p>").Append(WebUtility.HtmlEncode(Inv($"{Mode} loop, mix {Mix}, terminal {TerminalId}, {(Cards == 0 ? "demo cards" : $"{Cards} generated cards")}"))).Append("</p>\n");
        b.Append(Svg());
        b.Append("<h2>Figures</h2>\n<pre>").Append(WebUtility.HtmlEncode(ToTable())).Append("</pre>\n");
        b.Append("<h2>Percentiles</h2>\n<table><tr><th>percentile</th><th>target ms</th>").Append(Echo is null ? "" : "<th>echo ms</th>").Append("</tr>\n");
        for (int i = 0; i < Percentiles.Count; i += 10)
        {
            b.Append(Inv($"<tr><td>{Percentiles[i].Percentile}</td><td>{Percentiles[i].Ms:0.000}</td>"));
            if (Echo is not null && i < Echo.Percentiles.Count) b.Append(Inv($"<td>{Echo.Percentiles[i].Ms:0.000}</td>"));
            b.Append("</tr>\n");
        }
        b.Append("</table>\n</body></html>\n");
        return b.ToString();
    }

    /// <summary>Latency (ms, linear) against percentile on the usual "nines" axis (0, 90, 99, 99.9, 99.99, 99.999).</summary>
    private string Svg()
    {
        const int W = 720, H = 360, L = 60, R = 20, T = 20, B = 40;
        var curves = new List<(string Name, string Color, IReadOnlyList<LatencyPoint> Points)> { ("target", "#c0392b", Percentiles) };
        if (Echo is not null) curves.Add(("echo", "#2471a3", Echo.Percentiles));
        double yMax = Math.Max(0.001, curves.SelectMany(c => c.Points).Select(p => p.Ms).DefaultIfEmpty(0).Max());
        double X(double p) => L + Math.Min(5, Nines(p)) / 5 * (W - L - R);
        double Y(double ms) => H - B - ms / yMax * (H - T - B);
        var b = new StringBuilder();
        b.Append(Inv($"<svg width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"latency by percentile\">\n"));
        b.Append(Inv($"<rect x=\"0\" y=\"0\" width=\"{W}\" height=\"{H}\" fill=\"white\"/>\n"));
        string[] labels = ["0", "90", "99", "99.9", "99.99", "99.999"];
        for (int i = 0; i < labels.Length; i++)
        {
            double x = L + i / 5.0 * (W - L - R);
            b.Append(Inv($"<line x1=\"{x:0.#}\" y1=\"{T}\" x2=\"{x:0.#}\" y2=\"{H - B}\" stroke=\"#ddd\"/><text x=\"{x:0.#}\" y=\"{H - B + 16}\" font-size=\"12\" text-anchor=\"middle\">{labels[i]}%</text>\n"));
        }
        for (int i = 0; i <= 4; i++)
        {
            double ms = yMax * i / 4, y = Y(ms);
            b.Append(Inv($"<line x1=\"{L}\" y1=\"{y:0.#}\" x2=\"{W - R}\" y2=\"{y:0.#}\" stroke=\"#ddd\"/><text x=\"{L - 6}\" y=\"{y + 4:0.#}\" font-size=\"12\" text-anchor=\"end\">{ms:0.##}</text>\n"));
        }
        b.Append(Inv($"<text x=\"{L}\" y=\"{T - 6}\" font-size=\"12\">ms</text><text x=\"{W - R}\" y=\"{H - 6}\" font-size=\"12\" text-anchor=\"end\">percentile</text>\n"));
        for (int c = 0; c < curves.Count; c++)
        {
            var pts = string.Join(" ", curves[c].Points.Where(p => p.Percentile < 100).Select(p => Inv($"{X(p.Percentile):0.#},{Y(p.Ms):0.#}")));
            b.Append(Inv($"<polyline fill=\"none\" stroke=\"{curves[c].Color}\" stroke-width=\"2\" points=\"{pts}\"/>\n"));
            b.Append(Inv($"<text x=\"{L + 10}\" y=\"{T + 16 + c * 16}\" font-size=\"12\" fill=\"{curves[c].Color}\">{curves[c].Name}</text>\n"));
        }
        b.Append("</svg>\n");
        return b.ToString();
    }

    /// <summary>−log10(1 − p/100): 0 at 0 %, 1 at 90 %, 2 at 99 %, …</summary>
    private static double Nines(double percentile) => percentile >= 100 ? 5 : -Math.Log10(1 - percentile / 100);
}

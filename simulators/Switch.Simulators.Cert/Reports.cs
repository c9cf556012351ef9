using System.Globalization;
using System.Net;
using System.Text;
using System.Xml;

namespace Switch.Simulators.Cert;

/// <summary>
/// The JUnit XML report: one testsuite, a testcase per case (classname = the case file) with its time in seconds, a
/// failure element (message = the first failed expectation, text = every expectation) or a skipped element with the
/// reason. Every value in it is already masked.
/// </summary>
public static class JUnitReport
{
    /// <summary>Writes the report.</summary>
    public static void Write(RunResult run, string path)
    {
        var settings = new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false) };
        using var w = XmlWriter.Create(path, settings);
        w.WriteStartDocument();
        w.WriteStartElement("testsuites");
        w.WriteAttributeString("name", run.Suite.Name);
        Counts(w, run);
        w.WriteStartElement("testsuite");
        w.WriteAttributeString("name", run.Suite.Name);
        Counts(w, run);
        w.WriteAttributeString("timestamp", run.StartedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture));
        w.WriteAttributeString("hostname", run.Target);
        w.WriteStartElement("properties");
        Property(w, "target", run.Target);
        Property(w, "issuer", run.IssuerPort is int p ? $"hosted on 127.0.0.1:{p}" : "not hosted");
        w.WriteEndElement();
        foreach (var c in run.Cases) Case(w, run, c);
        w.WriteEndElement();
        w.WriteEndElement();
        w.WriteEndDocument();
    }

    private static void Counts(XmlWriter w, RunResult run)
    {
        w.WriteAttributeString("tests", run.Cases.Count.ToString(CultureInfo.InvariantCulture));
        w.WriteAttributeString("failures", run.Failed.ToString(CultureInfo.InvariantCulture));
        w.WriteAttributeString("errors", "0");
        w.WriteAttributeString("skipped", run.Skipped.ToString(CultureInfo.InvariantCulture));
        w.WriteAttributeString("time", Seconds(run.DurationMs));
    }

    private static void Property(XmlWriter w, string name, string value)
    {
        w.WriteStartElement("property");
        w.WriteAttributeString("name", name);
        w.WriteAttributeString("value", value);
        w.WriteEndElement();
    }

    private static void Case(XmlWriter w, RunResult run, CaseResult c)
    {
        w.WriteStartElement("testcase");
        w.WriteAttributeString("name", c.Case.Id);
        w.WriteAttributeString("classname", $"{run.Suite.Name}.{Path.GetFileNameWithoutExtension(c.Case.File)}");
        w.WriteAttributeString("time", Seconds(c.DurationMs));
        if (c.Status == CaseStatus.Failed)
        {
            w.WriteStartElement("failure");
            w.WriteAttributeString("message", c.Reason ?? "failed");
            w.WriteAttributeString("type", "expectation");
            w.WriteString(Checks(c));
            w.WriteEndElement();
        }
        else if (c.Status == CaseStatus.Skipped)
        {
            w.WriteStartElement("skipped");
            w.WriteAttributeString("message", c.Reason ?? "skipped");
            w.WriteEndElement();
        }
        w.WriteElementString("system-out", $"{c.Case.Title}\n{Checks(c)}");
        w.WriteEndElement();
    }

    private static string Checks(CaseResult c) =>
        string.Join('\n', c.Checks.Select(x => $"{(x.Passed ? "ok  " : "FAIL")} {x.What}: {x.Detail}"));

    private static string Seconds(double ms) => (ms / 1000).ToString("F3", CultureInfo.InvariantCulture);
}

/// <summary>
/// The HTML report: one self-contained file (inline CSS, no script, no external asset): the summary, then per case its
/// status, timings, expectations, and the request and answer decoded field by field (masked), and the issuer's log.
/// </summary>
public static class HtmlReport
{
    private const string Style = """
        body{font-family:system-ui,sans-serif;margin:2em;color:#222}
        h1{font-size:1.5em}table{border-collapse:collapse;margin:.4em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left;vertical-align:top}
        th{background:#f3f3f3}.pass{color:#17702a}.fail{color:#b00020}.skip{color:#8a6d00}
        details{border:1px solid #ddd;border-radius:4px;margin:.5em 0;padding:.3em .8em}summary{cursor:pointer;font-weight:600}
        .msgs{display:flex;gap:2em;flex-wrap:wrap}code,pre{font-family:ui-monospace,monospace;font-size:.9em}pre{white-space:pre-wrap;background:#fafafa;padding:.5em}
        """;

    /// <summary>Writes the report.</summary>
    public static void Write(RunResult run, string path) => File.WriteAllText(path, Render(run), new UTF8Encoding(false));

    /// <summary>The report's text.</summary>
    public static string Render(RunResult run)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(E(run.Suite.Name)).Append(" certification report</title><style>")
            .Append(Style).Append("</style></head><body>");
        sb.Append("<h1>").Append(E(run.Suite.Name)).Append(" — certification report</h1>");
        if (run.Suite.Description is { } d) sb.Append("<p>").Append(E(d)).Append("</p>");
        sb.Append("<table><tr><th>target</th><td>").Append(E(run.Target)).Append("</td></tr><tr><th>issuer</th><td>")
            .Append(run.IssuerPort is int p ? $"hosted on 127.0.0.1:{p}" : "not hosted (cases needing it are skipped)")
            .Append("</td></tr><tr><th>started</th><td>").Append(run.StartedAt.UtcDateTime.ToString("u", CultureInfo.InvariantCulture))
            .Append("</td></tr><tr><th>result</th><td>").Append(E(run.Summary)).Append("</td></tr></table>");
        sb.Append("<table><tr><th>case</th><th>result</th><th>DE39</th><th>answer ms</th><th>case ms</th><th>title / reason</th></tr>");
        foreach (var c in run.Cases)
        {
            sb.Append("<tr><td><a href=\"#").Append(E(c.Case.Id)).Append("\">").Append(E(c.Case.Id)).Append("</a></td><td class=\"").Append(Css(c.Status)).Append("\">")
                .Append(Word(c.Status)).Append("</td><td>").Append(E(c.Exchange?.ResponseCode ?? "")).Append("</td><td>")
                .Append(c.Exchange is { } x ? x.ElapsedMs.ToString("F1", CultureInfo.InvariantCulture) : "").Append("</td><td>")
                .Append(c.DurationMs.ToString("F0", CultureInfo.InvariantCulture)).Append("</td><td>").Append(E(c.Reason ?? c.Case.Title)).Append("</td></tr>");
        }
        sb.Append("</table>");
        foreach (var c in run.Cases) Case(sb, c);
        sb.Append("</body></html>\n");
        return sb.ToString();
    }

    private static void Case(StringBuilder sb, CaseResult c)
    {
        sb.Append("<details id=\"").Append(E(c.Case.Id)).Append('"').Append(c.Status == CaseStatus.Failed ? " open" : "").Append("><summary><span class=\"")
            .Append(Css(c.Status)).Append("\">").Append(Word(c.Status)).Append("</span> ").Append(E(c.Case.Id)).Append(" — ").Append(E(c.Case.Title)).Append("</summary>");
        sb.Append("<p>file <code>").Append(E(c.Case.File)).Append("</code>, terminal ").Append(E(c.Case.Terminal));
        if (c.Case.DependsOn.Count > 0) sb.Append(", depends on ").Append(E(string.Join(", ", c.Case.DependsOn)));
        sb.Append(", case time ").Append(c.DurationMs.ToString("F0", CultureInfo.InvariantCulture)).Append(" ms</p>");
        if (c.Reason is { } reason) sb.Append("<p class=\"").Append(Css(c.Status)).Append("\">").Append(E(reason)).Append("</p>");
        if (c.Checks.Count > 0)
        {
            sb.Append("<table><tr><th></th><th>expectation</th><th>observed</th></tr>");
            foreach (var x in c.Checks)
                sb.Append("<tr><td class=\"").Append(x.Passed ? "pass\">ok" : "fail\">FAIL").Append("</td><td>").Append(E(x.What)).Append("</td><td>").Append(E(x.Detail)).Append("</td></tr>");
            sb.Append("</table>");
        }
        if (c.Exchange is { } ex)
        {
            sb.Append("<div class=\"msgs\">");
            Message(sb, $"sent ({ex.Kind})", ex.Request);
            if (ex.Answer is { } answer) Message(sb, $"received in {ex.ElapsedMs.ToString("F1", CultureInfo.InvariantCulture)} ms{Mac(ex.MacValid)}", answer);
            else sb.Append("<p class=\"fail\">").Append(E(ex.Error ?? "no answer")).Append("</p>");
            sb.Append("</div>");
        }
        if (c.IssuerLog.Count > 0)
        {
            sb.Append("<p>the hosted issuer received (masked):</p><pre>");
            foreach (string line in c.IssuerLog) sb.Append(E(line)).Append('\n');
            sb.Append("</pre>");
        }
        sb.Append("</details>");
    }

    private static string Mac(bool? valid) => valid switch
    {
        true => ", MAC valid",
        false => ", MAC INVALID",
        null => "",
    };

    private static void Message(StringBuilder sb, string caption, MessageView m)
    {
        sb.Append("<table><caption>").Append(E(caption)).Append("</caption><tr><th>field</th><th>name</th><th>value</th></tr><tr><td>0</td><td>MTI</td><td><code>")
            .Append(E(m.Mti)).Append("</code></td></tr>");
        foreach (var f in m.Fields)
            sb.Append("<tr><td>").Append(f.Field).Append("</td><td>").Append(E(f.Name)).Append("</td><td><code>").Append(E(f.Value)).Append("</code></td></tr>");
        sb.Append("</table>");
    }

    private static string Word(CaseStatus s) => s switch
    {
        CaseStatus.Passed => "PASS",
        CaseStatus.Failed => "FAIL",
        _ => "SKIP",
    };

    private static string Css(CaseStatus s) => s switch
    {
        CaseStatus.Passed => "pass",
        CaseStatus.Failed => "fail",
        _ => "skip",
    };

    private static string E(string s) => WebUtility.HtmlEncode(s);
}

using System.Text;

namespace Switch.Iso8583.Spec;

/// <summary>Renders a spec as a plain-text table (field, name, wire form) for operators.</summary>
public static class SpecTable
{
    /// <summary>The table, one line per field; sub-fields are listed as <c>127.2</c>.</summary>
    public static string Render(MessageSpec spec)
    {
        var rows = new List<(string Field, string Name, string Wire)>();
        if (spec.HeaderLength > 0) rows.Add(("header", "Message header", $"fixed {spec.HeaderLength} bytes"));
        Collect(spec, "", rows);
        int w0 = Math.Max(5, rows.Max(r => r.Field.Length));
        int w1 = Math.Min(48, Math.Max(4, rows.Max(r => r.Name.Length)));
        var sb = new StringBuilder();
        sb.Append($"spec: {spec.Name}");
        if (spec.Description.Length > 0) sb.Append($" — {spec.Description}");
        sb.Append('\n');
        sb.Append("field".PadRight(w0)).Append("  ").Append("name".PadRight(w1)).Append("  wire form\n");
        sb.Append(new string('-', w0)).Append("  ").Append(new string('-', w1)).Append("  ").Append(new string('-', 40)).Append('\n');
        foreach (var (field, name, wire) in rows)
        {
            string n = name.Length > w1 ? name[..(w1 - 1)] + "…" : name;
            sb.Append(field.PadRight(w0)).Append("  ").Append(n.PadRight(w1)).Append("  ").Append(wire).Append('\n');
        }
        return sb.ToString();
    }

    private static void Collect(MessageSpec spec, string prefix, List<(string, string, string)> rows)
    {
        foreach (var f in spec.Fields)
        {
            string label = f.Number == 0 && !spec.IsSubMessage ? "MTI" : prefix + f.Number;
            rows.Add((label, f.Name, f.WireForm()));
            if (f.Subfields is { } sub)
            {
                if (sub.HeaderLength > 0) rows.Add(($"{prefix}{f.Number}.header", "Sub-message header", $"fixed {sub.HeaderLength} bytes"));
                Collect(sub, $"{prefix}{f.Number}.", rows);
            }
        }
    }
}

using System.Text;
using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Schema;
using Switch.Common.Masking;

namespace Switch.Iso20022;

/// <summary>
/// Schema errors as sentences built from what the validator stood on (element, expected particles, the type's facets),
/// not from the runtime's resource strings, which the CLI strips to bare keys.
/// </summary>
internal static partial class SchemaMessages
{
    private const int ValueShown = 40;

    public static List<string>? Expected(XmlSchemaValidator validator)
    {
        try
        {
            var names = new List<string>();
            foreach (var particle in validator.GetExpectedParticles())
            {
                string name = particle switch
                {
                    XmlSchemaElement e => e.QualifiedName.Name,
                    XmlSchemaAny => "any element",
                    _ => "",
                };
                if (name.Length > 0 && !names.Contains(name)) names.Add(name);
            }
            return names;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    public static string UnexpectedElement(string local, string ns, string? documentNs, string parent, List<string>? expected)
    {
        string what = ns.Length > 0 && documentNs is not null && ns != documentNs && !ns.Contains(":head.", StringComparison.Ordinal)
            ? $"element '{local}' of namespace '{ns}'"
            : $"element '{local}'";
        if (expected is null) return $"{what} is not expected inside '{parent}'.";
        if (expected.Count == 0) return $"{what} is not expected inside '{parent}', which takes no further child element here.";
        return $"{what} is not expected inside '{parent}'; expected here: {List(expected)}.";
    }

    public static string BadAttribute(string attribute, string element, string value, XmlSchemaAttribute? declared)
    {
        if (declared is null) return $"attribute '{attribute}' is not allowed on element '{element}'.";
        return $"attribute '{attribute}' of element '{element}' has the invalid value '{Shown(value)}'; {Describe(declared.AttributeSchemaType)}.";
    }

    public static string MissingAttributes(string element, List<string>? expected) =>
        expected is { Count: > 0 }
            ? $"element '{element}' lacks its required attribute {List(expected)}."
            : $"element '{element}' lacks a required attribute.";

    public static string TextNotAllowed(string element) => $"text is not allowed directly inside element '{element}', which holds only child elements.";

    public static string AtEnd(string element, string? value, XmlSchemaType? type, List<string>? expected)
    {
        if (IsTextType(type))
        {
            return value is null || value.Length == 0
                ? $"element '{element}' is empty; {Describe(type)}."
                : $"the value '{Shown(value)}' of element '{element}' is not valid; {Describe(type)}.";
        }
        if (expected is { Count: > 0 }) return $"element '{element}' is incomplete; expected: {List(expected)}.";
        return $"element '{element}' is incomplete or has content its type does not allow.";
    }

    public static bool IsTextType(XmlSchemaType? type) =>
        type is XmlSchemaSimpleType || type is XmlSchemaComplexType { ContentType: XmlSchemaContentType.TextOnly };

    /// <summary>"type Max35Text requires 1 to 35 characters" and the like.</summary>
    public static string Describe(XmlSchemaType? type)
    {
        if (type is null) return "its type does not allow it";
        string name = type.Name ?? type.QualifiedName.Name;
        var simple = type as XmlSchemaSimpleType ?? FindSimple(type);
        var rules = new List<string>();
        var seen = new HashSet<string>();
        for (var t = simple; t is not null; t = t.BaseXmlSchemaType as XmlSchemaSimpleType)
        {
            if (t.Content is XmlSchemaSimpleTypeRestriction r) AddFacets(r, rules, seen);
            if (t.QualifiedName.Namespace == XmlSchema.Namespace) break;
        }
        string primitive = Primitive(simple?.Datatype?.TypeCode ?? type.Datatype?.TypeCode);
        if (primitive.Length > 0) rules.Insert(0, primitive);
        string label = string.IsNullOrEmpty(name) ? "its type" : $"type {name}";
        return rules.Count == 0 ? $"{label} does not allow it" : $"{label} requires {string.Join(", ", rules)}";
    }

    private static XmlSchemaSimpleType? FindSimple(XmlSchemaType type)
    {
        for (var t = type.BaseXmlSchemaType; t is not null; t = t.BaseXmlSchemaType)
            if (t is XmlSchemaSimpleType s) return s;
        return null;
    }

    private static void AddFacets(XmlSchemaSimpleTypeRestriction restriction, List<string> rules, HashSet<string> seen)
    {
        var enumeration = new List<string>();
        string? min = null, max = null;
        foreach (var facet in restriction.Facets.OfType<XmlSchemaFacet>())
        {
            string v = facet.Value ?? "";
            switch (facet)
            {
                case XmlSchemaEnumerationFacet: enumeration.Add(v); break;
                case XmlSchemaPatternFacet: Add(rules, seen, $"the pattern {v}"); break;
                case XmlSchemaLengthFacet: Add(rules, seen, $"exactly {v} characters"); break;
                case XmlSchemaMinLengthFacet: min = v; break;
                case XmlSchemaMaxLengthFacet: max = v; break;
                case XmlSchemaTotalDigitsFacet: Add(rules, seen, $"at most {v} digits"); break;
                case XmlSchemaFractionDigitsFacet: Add(rules, seen, $"at most {v} decimals"); break;
                case XmlSchemaMinInclusiveFacet: Add(rules, seen, $"a value of at least {v}"); break;
                case XmlSchemaMaxInclusiveFacet: Add(rules, seen, $"a value of at most {v}"); break;
                case XmlSchemaMinExclusiveFacet: Add(rules, seen, $"a value above {v}"); break;
                case XmlSchemaMaxExclusiveFacet: Add(rules, seen, $"a value below {v}"); break;
            }
        }
        if (min is not null && max is not null) Add(rules, seen, $"{min} to {max} characters");
        else if (max is not null) Add(rules, seen, $"at most {max} characters");
        else if (min is not null) Add(rules, seen, $"at least {min} characters");
        if (enumeration.Count > 0)
        {
            string shown = enumeration.Count <= 12 ? List(enumeration) : List(enumeration.Take(12).ToList()) + $" (and {enumeration.Count - 12} more)";
            Add(rules, seen, $"one of {shown}");
        }
    }

    private static void Add(List<string> rules, HashSet<string> seen, string rule)
    {
        if (seen.Add(rule)) rules.Add(rule);
    }

    private static string Primitive(XmlTypeCode? code) => code switch
    {
        XmlTypeCode.Decimal => "a decimal number",
        XmlTypeCode.Boolean => "true or false",
        XmlTypeCode.Date => "a date (YYYY-MM-DD)",
        XmlTypeCode.DateTime => "a date and time (YYYY-MM-DDThh:mm:ss)",
        XmlTypeCode.Time => "a time (hh:mm:ss)",
        XmlTypeCode.GYearMonth => "a year and month (YYYY-MM)",
        XmlTypeCode.GYear => "a year (YYYY)",
        XmlTypeCode.Base64Binary => "base64 data",
        XmlTypeCode.HexBinary => "hex data",
        _ => "",
    };

    private static string List(List<string> names)
    {
        var quoted = names.Select(n => $"'{n}'").ToList();
        return quoted.Count switch
        {
            1 => quoted[0],
            2 => $"{quoted[0]} or {quoted[1]}",
            _ => string.Join(", ", quoted.Take(quoted.Count - 1)) + " or " + quoted[^1],
        };
    }

    /// <summary>A value as shown in an error: long values cut, card-number-like digit runs masked 6/4.</summary>
    public static string Shown(string value)
    {
        string masked = DigitRun().Replace(value, m => PanMask.Mask(m.Value));
        var sb = new StringBuilder(masked.Length);
        foreach (char c in masked.Length > ValueShown ? masked[..ValueShown] : masked) sb.Append(char.IsControl(c) ? ' ' : c);
        if (masked.Length > ValueShown) sb.Append('…');
        return sb.ToString();
    }

    [GeneratedRegex("[0-9]{13,19}")]
    private static partial Regex DigitRun();
}

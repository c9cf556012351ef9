using System.Text.RegularExpressions;

namespace Switch.Simulators.Cert;

/// <summary>
/// ${case.request.N}, ${case.answer.N}, ${case.issuer.N}: a field of an earlier case's request, answer, or the first
/// 0100/0200 the hosted issuer received during it. Only fields the spec does not mark sensitive may be referred to, so
/// a substituted value never carries card data into a report.
/// </summary>
public static partial class Variables
{
    /// <summary>A reference.</summary>
    public sealed record Reference(string Case, string Source, int Field, string Text);

    [GeneratedRegex(@"\$\{([A-Za-z0-9_-]{1,64})\.(request|answer|issuer)\.(\d{1,3})\}")]
    private static partial Regex ReferencePattern();

    /// <summary>The references in a text; throws <see cref="ArgumentException"/> on a "${" that is not one.</summary>
    public static IReadOnlyList<Reference> Parse(string text)
    {
        var found = new List<Reference>();
        foreach (Match m in ReferencePattern().Matches(text))
            found.Add(new Reference(m.Groups[1].Value, m.Groups[2].Value, int.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture), m.Value));
        string rest = ReferencePattern().Replace(text, "");
        if (rest.Contains("${", StringComparison.Ordinal))
            throw new ArgumentException("a '${' that is not ${case.request|answer|issuer.FIELD}");
        return found;
    }

    /// <summary>Replaces every reference by <paramref name="resolve"/>'s value (escaped for a regex when asked).</summary>
    public static string Substitute(string text, Func<Reference, string> resolve, bool forRegex)
    {
        return ReferencePattern().Replace(text, m =>
        {
            var r = new Reference(m.Groups[1].Value, m.Groups[2].Value, int.Parse(m.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture), m.Value);
            string value = resolve(r);
            return forRegex ? Regex.Escape(value) : value;
        });
    }
}

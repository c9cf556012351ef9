using System.Reflection;
using System.Xml;

namespace Switch.Iso20022;

/// <summary>
/// Well-formedness errors in words. The runtime's message is a bare resource key when resources are stripped (as in
/// the CLI), so the sentence is chosen from the key the exception carries.
/// </summary>
internal static class XmlErrorText
{
    // The exception keeps its resource text (the key itself when resources are stripped); the runtime's SR class maps
    // each key to that text, so the reverse map gives the key in both modes.
    private static readonly FieldInfo? ResourceText = typeof(XmlException).GetField("_res", BindingFlags.NonPublic | BindingFlags.Instance);
    private static readonly Lazy<Dictionary<string, string>> KeysByText = new(BuildKeys);

    private static Dictionary<string, string> BuildKeys()
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        var sr = typeof(XmlReader).Assembly.GetType("System.SR");
        if (sr is null) return map;
        foreach (var p in sr.GetProperties(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public))
        {
            if (!p.Name.StartsWith("Xml_", StringComparison.Ordinal) || p.PropertyType != typeof(string)) continue;
            if (p.GetValue(null) is string text) map.TryAdd(text, p.Name);
        }
        return map;
    }

    private static string KeyOf(XmlException ex)
    {
        string text = ResourceText?.GetValue(ex) as string ?? "";
        if (text.StartsWith("Xml_", StringComparison.Ordinal) && !text.Contains(' ', StringComparison.Ordinal)) return text;
        return KeysByText.Value.GetValueOrDefault(text, "");
    }

    public static string Describe(XmlException ex)
    {
        string key = KeyOf(ex);
        return key switch
        {
            "Xml_DtdIsProhibited" or "Xml_DtdIsProhibitedEx" =>
                "a document type declaration (<!DOCTYPE>) is not allowed; DTDs, entity declarations and external references are refused.",
            "Xml_UndeclaredEntity" or "Xml_UndeclaredParEntity" =>
                "an entity reference is not allowed; only the predefined entities (&amp; &lt; &gt; &quot; &apos;) and character references are.",
            "Xml_UnexpectedEOF" or "Xml_UnexpectedEOF1" or "Xml_UnexpectedEOFInElementContent" or "Xml_UnclosedQuote" or "Xml_IncompleteEntity" =>
                "the document ends before it is complete (truncated).",
            "Xml_MissingRoot" => "the document holds no root element.",
            "Xml_MultipleRoots" => "there is content after the document's root element.",
            "Xml_TagMismatch" or "Xml_TagMismatchEx" or "Xml_UnexpectedEndTag" => "an end tag does not match its start tag.",
            "Xml_InvalidCharacter" or "Xml_InvalidCharInThisEncoding" or "Xml_InvalidSurrogateMissingLowChar" or "Xml_InvalidSurrogateHighChar" =>
                "the document holds a character XML does not allow.",
            "Xml_BadNameChar" or "Xml_BadStartNameChar" => "a name holds a character XML does not allow.",
            "Xml_UnknownNs" => "an element or attribute uses a namespace prefix that is not declared.",
            "Xml_DupAttributeName" => "an attribute is given twice on one element.",
            "Xml_LimitExceeded" => "the document is larger than the size limit.",
            "Xml_EncodingSwitchAfterResetState" or "Xml_UnknownEncoding" or "Xml_EncodingNotSupported" or "Xml_MissingByteOrderMark" =>
                "the document's encoding declaration is not UTF-8.",
            "Xml_BadAttributeChar" => "an attribute value holds a character XML does not allow (such as '<').",
            "Xml_ExpectingWhiteSpace" or "Xml_UnexpectedTokenEx" or "Xml_UnexpectedTokens2" or "Xml_UnexpectedTokens" or "Xml_ExpectExternalOrClose" =>
                "the markup is malformed here.",
            "Xml_XmlDeclNotFirst" or "Xml_BadXmlDecl" or "Xml_InvalidXmlDecl" or "Xml_XmlDeclaration" => "the XML declaration is malformed or not at the very start.",
            "Xml_InvalidPIName" or "Xml_InvalidNodeType" => "the markup is malformed here.",
            _ => "the document is not well-formed XML at this point.",
        };
    }
}

using System.Text.RegularExpressions;
using System.Xml;
using System.Xml.Linq;
using Switch.Iso8583.Codecs;

namespace Switch.Iso8583.Spec;

/// <summary>
/// Imports jPOS GenericPackager XML (<c>&lt;isopackager&gt;</c>, <c>&lt;isofield&gt;</c>, nested
/// <c>&lt;isofieldpackager&gt;</c>) into a <see cref="MessageSpec"/> with the same wire form as jPOS.
/// The DOCTYPE is accepted and ignored: no DTD processing, no resolver, no network. Errors name the
/// file and line.
/// </summary>
public static partial class JposPackagerImporter
{
    /// <summary>Imports a packager file.</summary>
    public static MessageSpec LoadFile(string path) => Parse(MessageSpec.ReadSpecFile(path), path);

    /// <summary>Imports packager XML; <paramref name="source"/> names it in errors.</summary>
    public static MessageSpec Parse(byte[] xml, string source)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Ignore,
            XmlResolver = null,
            MaxCharactersFromEntities = 0,
            MaxCharactersInDocument = MessageSpec.SpecFileBytesMax,
            IgnoreComments = true,
        };
        XDocument doc;
        try
        {
            using var stream = new MemoryStream(xml);
            using var reader = XmlReader.Create(stream, settings);
            doc = XDocument.Load(reader, LoadOptions.SetLineInfo);
        }
        catch (XmlException ex)
        {
            throw new IsoFormatException($"{source}: line {ex.LineNumber}, position {ex.LinePosition}: invalid XML: {XmlProblem(ex, xml)}");
        }
        var root = doc.Root!;
        if (root.Name.LocalName != "isopackager")
            throw Error(source, root, $"root element is <{root.Name.LocalName}>, expected <isopackager>");
        string name = Path.GetFileNameWithoutExtension(source);
        return new Importer(source).Packager(root, name, isSub: false, subKind: SubKind.Generic);
    }

    /// <summary>
    /// What is wrong, as a sentence. The executable is built without the framework's message texts (its XmlException
    /// messages are resource keys such as Xml_UndeclaredEntity), so the common problems are named here.
    /// </summary>
    private static string XmlProblem(XmlException ex, byte[] xml)
    {
        var key = XmlResourceKey().Matches(ex.Message).Select(m => m.Value).LastOrDefault(k => k != "Xml_MessageWithErrorPosition");
        if (key is null && ex.Message.Contains("undeclared entity", StringComparison.OrdinalIgnoreCase)) key = "Xml_UndeclaredEntity";
        string? problem = key switch
        {
            "Xml_UndeclaredEntity" => null,
            "Xml_UnexpectedEOF" or "Xml_UnexpectedEOF1" or "Xml_UnexpectedEOFInElementContent" => "the file ends before the document does",
            "Xml_TagMismatch" or "Xml_TagMismatchEx" => "an end tag does not match its start tag",
            "Xml_UnexpectedEndTag" => "an end tag without a start tag",
            "Xml_MultipleRoots" => "more than one root element",
            "Xml_MissingRoot" => "no root element",
            "Xml_DupAttributeName" => "an attribute appears twice in one element",
            "Xml_UnclosedQuote" => "an attribute value's quote is not closed",
            "Xml_BadStartNameChar" or "Xml_BadNameChar" or "Xml_BadAttributeChar" => "a name holds a character names cannot hold",
            "Xml_InvalidCharacter" or "Xml_InvalidCharInThisEncoding" or "Xml_InvalidBinHexValueOddCount" => "a character XML does not allow",
            "Xml_ErrorParsingEntityName" => "a malformed entity reference ('&' not followed by a name and ';')",
            "Xml_LimitExceeded" => $"the document is larger than {MessageSpec.SpecFileBytesMax} characters",
            "Xml_UnknownEncoding" or "Xml_EncodingSwitchAfterResetState" => "an encoding the reader does not know",
            null => FirstSentence(ex.Message),
            _ => "malformed XML",
        };
        return problem ?? UndeclaredEntity(ex, xml);
    }

    private static string FirstSentence(string message) => message.Split(". Line")[0].TrimEnd('.');

    /// <summary>Names the entity: only the five predefined ones exist, since no DTD is read.</summary>
    private static string UndeclaredEntity(XmlException ex, byte[] xml)
    {
        string[] lines = System.Text.Encoding.UTF8.GetString(xml).Split('\n');
        string name = "";
        if (ex.LineNumber >= 1 && ex.LineNumber <= lines.Length)
        {
            string line = lines[ex.LineNumber - 1];
            int amp = line.LastIndexOf('&', Math.Clamp(ex.LinePosition - 1, 0, Math.Max(0, line.Length - 1)));
            int semi = amp < 0 ? -1 : line.IndexOf(';', amp);
            if (semi > amp + 1 && semi - amp <= 64) name = line[(amp + 1)..semi];
        }
        string what = name.Length > 0 ? $"entity '&{name};'" : "an entity";
        return $"reference to undeclared {what} (no DTD is read: only &amp; &lt; &gt; &quot; &apos; and character references can be used)";
    }

    [GeneratedRegex("Xml_[A-Za-z0-9_]+")]
    private static partial Regex XmlResourceKey();

    private enum SubKind
    {
        Generic,
        Base1,
    }

    private static IsoFormatException Error(string source, XObject at, string what)
    {
        int line = at is IXmlLineInfo info && info.HasLineInfo() ? info.LineNumber : 0;
        return new IsoFormatException($"{source}: line {line}: {what}");
    }

    [GeneratedRegex("^(?:org\\.jpos\\.iso\\.)?(?<cls>[A-Za-z0-9_]+)$")]
    private static partial Regex ClassName();

    private sealed class Importer(string source)
    {
        public MessageSpec Packager(XElement e, string name, bool isSub, SubKind subKind)
        {
            var fields = new List<FieldSpec>();
            foreach (var child in e.Elements())
            {
                string tag = child.Name.LocalName;
                if (tag is not ("isofield" or "isofieldpackager")) throw Error(source, child, $"unexpected element <{tag}>");
                var field = tag == "isofield" ? Field(child) : Nested(child);
                // jPOS XML cannot mark card data: a message's fields take the ISO 8583 defaults by number.
                fields.Add(isSub ? field : field.WithSensitivity(FieldSpec.DefaultSensitivity(field.Number)));
            }
            int header = IntAttr(e, "headerLength") ?? 0;
            bool emitBitmap = BoolAttr(e, "emitBitmap") ?? true;
            int bitmapField = IntAttr(e, "bitmapField") ?? (subKind == SubKind.Base1 ? 0 : 1);
            int? firstField = IntAttr(e, "firstField");
            fields = ArrangeBitmap(e, fields, isSub, emitBitmap, bitmapField, subKind);
            if (isSub && firstField is null)
            {
                bool bitmapAt1 = fields.Any(f => f.Number == 1 && f.Type == FieldType.Bitmap);
                bool bitmapAt0 = fields.Any(f => f.Number == 0 && f.Type == FieldType.Bitmap);
                firstField = bitmapAt1 ? 2 : bitmapAt0 ? 1 : subKind == SubKind.Base1 ? 0 : 1;
            }
            try
            {
                return new MessageSpec(name, $"imported from jPOS packager {Path.GetFileName(source)}", fields, header, isSub, firstField);
            }
            catch (ArgumentException ex)
            {
                throw Error(source, e, ex.Message);
            }
        }

        // A nested packager without emitBitmap lays its sub-fields out by position: its bitmap
        // definition (if any) is dropped. A plain GenericPackager nested with bitmapField="0" keeps it at 0.
        private List<FieldSpec> ArrangeBitmap(XElement e, List<FieldSpec> fields, bool isSub, bool emitBitmap, int bitmapField, SubKind kind)
        {
            if (!isSub) return fields;
            if (!emitBitmap) return fields.Where(f => f.Type != FieldType.Bitmap).ToList();
            if (bitmapField is not (0 or 1)) throw Error(source, e, $"bitmapField=\"{bitmapField}\" is not supported (0 or 1)");
            if (!fields.Any(f => f.Number == bitmapField && f.Type == FieldType.Bitmap))
            {
                // Base1 sub-fields and plain packagers may have no bitmap class at all: then positions rule.
                if (kind == SubKind.Base1 || !fields.Any(f => f.Type == FieldType.Bitmap)) return fields;
                throw Error(source, e, $"the bitmap must be field {bitmapField}");
            }
            return fields;
        }

        /// <summary>
        /// Deepest nesting of sub-field packagers accepted (real packagers nest one or two levels); deeper files
        /// are refused rather than recursed into, so a hostile file cannot exhaust the stack.
        /// </summary>
        private const int NestingDepthMax = 5;

        private FieldSpec Nested(XElement e)
        {
            if (e.Ancestors().Skip(NestingDepthMax).Any())
                throw Error(source, e, $"sub-field packagers nested more than {NestingDepthMax} deep");
            var outer = Field(e);
            string packager = Attr(e, "packager") ?? throw Error(source, e, "<isofieldpackager> needs a packager attribute");
            string simple = packager[(packager.LastIndexOf('.') + 1)..];
            var kind = simple switch
            {
                "GenericSubFieldPackager" or "GenericPackager" => SubKind.Generic,
                "Base1SubFieldPackager" => SubKind.Base1,
                _ => throw Error(source, e, $"unsupported nested packager {packager} (GenericSubFieldPackager, GenericPackager or Base1SubFieldPackager)"),
            };
            var sub = Packager(e, $"{outer.Name} sub-fields", isSub: true, kind);
            if (outer.Encoding is not (BinaryEncoding or TextEncoding or HexTextEncoding))
                throw Error(source, e, $"class {Attr(e, "class")} cannot carry sub-fields");
            try
            {
                return new FieldSpec(outer.Number, outer.Name, FieldType.Composite, outer.Length, outer.Prefix, outer.Encoding,
                    outer.Padding, outer.PrefixCountsBytes, tlv: false, subfields: sub);
            }
            catch (ArgumentException ex)
            {
                throw Error(source, e, ex.Message);
            }
        }

        private FieldSpec Field(XElement e)
        {
            int id = IntAttr(e, "id") ?? throw Error(source, e, "missing id attribute");
            if (id is < 0 or > 192) throw Error(source, e, $"field id {id} is outside 0..192");
            int length = IntAttr(e, "length") ?? throw Error(source, e, $"field {id}: missing length attribute");
            string name = Attr(e, "name") ?? $"Field {id}";
            string cls = Attr(e, "class") ?? throw Error(source, e, $"field {id}: missing class attribute");
            var m = ClassName().Match(cls.Trim());
            if (!m.Success) throw Error(source, e, $"field {id}: unknown field class {cls}");
            bool pad = BoolAttr(e, "pad") ?? false;
            try
            {
                return JposClasses.Build(m.Groups["cls"].Value, id, name, length, pad)
                    ?? throw Error(source, e, $"field {id}: unknown field class {cls}");
            }
            catch (ArgumentException ex)
            {
                throw Error(source, e, $"field {id}: {ex.Message}");
            }
        }

        private static string? Attr(XElement e, string name) => e.Attribute(name)?.Value;

        private int? IntAttr(XElement e, string name)
        {
            string? v = Attr(e, name);
            if (v is null) return null;
            if (!int.TryParse(v.Trim(), out int n) || n < 0) throw Error(source, e, $"{name}=\"{v}\" is not a non-negative number");
            return n;
        }

        private bool? BoolAttr(XElement e, string name)
        {
            string? v = Attr(e, name);
            if (v is null) return null;
            // jPOS reads these with Boolean.parseBoolean: "true" in any case is true, anything else false.
            return v.Trim().Equals("true", StringComparison.OrdinalIgnoreCase);
        }
    }
}

/// <summary>The jPOS field classes: each name maps to a composition of prefix, encoding and padding.</summary>
internal static class JposClasses
{
    /// <summary>Builds the field spec for a jPOS class; null when the class is unknown.</summary>
    public static FieldSpec? Build(string cls, int id, string name, int length, bool pad)
    {
        // jPOS packagers say nothing of track data: by ISO 8583 field number, DE 35 and 36 carry it
        // (BCD nibble D is their '=' separator); every other BCD field holds digits only.
        var bcd = id is 35 or 36 ? new BcdEncoding(pad, 0, allowSeparator: true) : pad ? BcdEncoding.LeftPadded : BcdEncoding.RightPadded;
        var ascii = TextEncoding.Ascii;
        var ebcdic = TextEncoding.Ebcdic1047;
        FieldSpec Make(FieldType type, ValueEncoding enc, LengthPrefix? prefix = null, Padding? padding = null) =>
            new(id, name, type, length, prefix ?? LengthPrefix.Fixed, enc, padding);
        LengthPrefix P(int digits, PrefixEncoding enc) => LengthPrefix.Variable(digits, enc);

        switch (cls)
        {
            case "IFA_NUMERIC": return Make(FieldType.Numeric, ascii);
            case "IF_CHAR": return Make(FieldType.String, ascii);
            case "IF_NOP": return new FieldSpec(id, name, FieldType.String, 0, LengthPrefix.Fixed, ascii);
            case "IFA_AMOUNT": return Make(FieldType.Amount, new AmountEncoding(ascii, ascii));
            case "IFA_BINARY": return Make(FieldType.Binary, HexTextEncoding.Ascii);
            case "IFA_BITMAP": return Make(FieldType.Bitmap, HexTextEncoding.Ascii);
            case "IFA_LLABINARY": return Make(FieldType.Binary, HexTextEncoding.Ascii, P(2, PrefixEncoding.Ascii));
            case "IFA_LLLABINARY": return Make(FieldType.Binary, HexTextEncoding.Ascii, P(3, PrefixEncoding.Ascii));
            case "IFB_NUMERIC" or "IFB_AMOUNT2003": return Make(FieldType.Numeric, bcd);
            case "IFB_BINARY": return Make(FieldType.Binary, BinaryEncoding.Instance);
            case "IFB_BITMAP": return Make(FieldType.Bitmap, BinaryEncoding.Instance);
            case "IFB_AMOUNT": return Make(FieldType.Amount, new AmountEncoding(ascii, bcd));
            case "IFE_NUMERIC": return Make(FieldType.Numeric, ebcdic);
            case "IFE_CHAR": return Make(FieldType.String, ebcdic);
            case "IFE_AMOUNT": return Make(FieldType.Amount, new AmountEncoding(ebcdic, ebcdic));
            case "IFE_BINARY": return Make(FieldType.Binary, HexTextEncoding.Ebcdic);
            case "IFE_BITMAP": return Make(FieldType.Bitmap, HexTextEncoding.Ebcdic);
        }
        return Variable(cls, bcd, Make, P);
    }

    // The L…L families: IF{A,B,E}_ + L×n (+H for a binary prefix) + NUM/CHAR/BINARY.
    private static FieldSpec? Variable(string cls, BcdEncoding bcd,
        Func<FieldType, ValueEncoding, LengthPrefix?, Padding?, FieldSpec> make, Func<int, PrefixEncoding, LengthPrefix> prefix)
    {
        var m = Regex.Match(cls, "^IF(?<fam>[ABE])_(?<l>L{1,6})(?<h>H?)(?<kind>NUM|CHAR|BINARY)$");
        if (!m.Success) return null;
        char fam = m.Groups["fam"].Value[0];
        int digits = m.Groups["l"].Length;
        bool hexPrefix = m.Groups["h"].Length == 1;
        string kind = m.Groups["kind"].Value;
        if (hexPrefix && fam != 'B') return null;
        var prefixEncoding = fam switch
        {
            'A' => PrefixEncoding.Ascii,
            'E' => PrefixEncoding.Ebcdic,
            _ => hexPrefix ? PrefixEncoding.Binary : PrefixEncoding.Bcd,
        };
        var text = fam == 'E' ? TextEncoding.Ebcdic1047 : TextEncoding.Ascii;
        (FieldType type, ValueEncoding enc) = kind switch
        {
            "NUM" => (FieldType.Numeric, fam == 'B' ? bcd : text),
            "CHAR" => (FieldType.String, text),
            _ => (FieldType.Binary, (ValueEncoding)BinaryEncoding.Instance),
        };
        return make(type, enc, prefix(digits, prefixEncoding), null);
    }
}

using System.Text;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;
using static Switch.Iso8583.Tests.TestData;

namespace Switch.Iso8583.Tests;

/// <summary>JSON specs and jPOS packagers: errors name the source, key or line; hostile files are refused cleanly.</summary>
public sealed class SpecLoadingTests
{
    private static MessageSpec Json(string json) => SpecJson.Parse(Encoding.UTF8.GetBytes(json), "test.json");

    private const string Minimal = """
        {"name": "t", "fields": {
          "0": {"type": "numeric", "length": 4, "encoding": "ascii"},
          "1": {"type": "bitmap", "length": 8, "encoding": "binary"},
          "2": FIELD2
        }}
        """;

    [Theory]
    [MemberData(nameof(BuiltIns))]
    public void Built_in_specs_load_and_have_mti_and_bitmap(string name)
    {
        var spec = SpecCatalog.BuiltIn(name);
        Assert.NotNull(spec.Mti);
        Assert.Equal(1, spec.BitmapField);
        Assert.Same(spec, SpecCatalog.Resolve(name));
    }

    public static TheoryData<string> BuiltIns() => new(SpecCatalog.BuiltInNames);

    [Fact]
    public void Unknown_spec_name_is_a_format_error_listing_the_built_ins()
    {
        var ex = Assert.Throws<IsoFormatException>(() => SpecCatalog.Resolve("iso8583-2003-klingon"));
        Assert.Contains("iso8583-1987-binary", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"type\": \"numeric\", \"length\": 4, \"encoding\": \"ascii\", \"colour\": \"red\"}", "fields.2.colour")]
    [InlineData("{\"type\": \"numeric\", \"length\": 4, \"encoding\": \"utf-8\"}", "fields.2.encoding")]
    [InlineData("{\"type\": \"numeric\", \"encoding\": \"ascii\"}", "length")]
    [InlineData("{\"type\": \"numeric\", \"length\": -4, \"encoding\": \"ascii\"}", "fields.2.length")]
    [InlineData("{\"type\": \"numeric\", \"length\": 4, \"prefix\": \"LLLLLLL\", \"encoding\": \"ascii\"}", "fields.2.prefix")]
    [InlineData("{\"type\": \"numeric\", \"length\": 100, \"prefix\": \"LL\", \"encoding\": \"ascii\"}", "fields.2")]
    [InlineData("{\"type\": \"digits\", \"length\": 4, \"encoding\": \"ascii\"}", "fields.2.type")]
    [InlineData("{\"type\": \"numeric\", \"length\": 4, \"encoding\": \"bcd\", \"padNibble\": \"7\"}", "fields.2.padNibble")]
    [InlineData("\"numeric\"", "fields.2")]
    public void Json_spec_errors_name_the_file_and_the_key(string field2, string key)
    {
        var ex = Assert.Throws<IsoFormatException>(() => Json(Minimal.Replace("FIELD2", field2, StringComparison.Ordinal)));
        Assert.Contains("test.json", ex.Message, StringComparison.Ordinal);
        Assert.Contains(key, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"name\": \"t\", \"fields\": {\"0\": {\"type\": \"numeric\", \"length\": 4, \"encoding\": \"ascii\"}}}")]
    [InlineData("{\"name\": \"t\", \"fields\": {\"1\": {\"type\": \"bitmap\", \"length\": 8, \"encoding\": \"binary\"}}}")]
    [InlineData("{\"name\": \"t\", \"fields\": {\"0\": {\"type\": \"numeric\", \"length\": 4, \"encoding\": \"ascii\"}, \"1\": {\"type\": \"bitmap\", \"length\": 8, \"encoding\": \"binary\"}, \"70\": {\"type\": \"numeric\", \"length\": 3, \"encoding\": \"ascii\"}}}")]
    [InlineData("{\"fields\": {}}")]
    [InlineData("{\"name\": \"t\"}")]
    [InlineData("{\"name\": \"t\", \"fields\": {\"007\": {}}}")]
    [InlineData("[1, 2]")]
    [InlineData("{")]
    [InlineData("")]
    public void Inconsistent_or_malformed_json_specs_are_format_errors(string json)
    {
        var ex = Assert.Throws<IsoFormatException>(() => Json(json));
        Assert.Contains("test.json", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"type\": \"binary\", \"length\": 2000000000, \"encoding\": \"ascii-hex\"}")]
    [InlineData("{\"type\": \"numeric\", \"length\": 2147483647, \"encoding\": \"bcd\"}")]
    [InlineData("{\"type\": \"amount\", \"length\": 2147483647, \"encoding\": \"bcd\"}")]
    [InlineData("{\"type\": \"string\", \"length\": 2147483647, \"encoding\": \"ascii\"}")]
    [InlineData("{\"type\": \"binary\", \"length\": 2147483647, \"prefix\": \"LLL\", \"prefixEncoding\": \"binary\", \"prefixBytes\": 3, \"prefixCounts\": \"bytes\", \"encoding\": \"ascii-hex\"}")]
    public void Absurd_field_lengths_are_refused_or_only_raise_format_errors(string field2)
    {
        MessageSpec spec;
        try
        {
            spec = Json(Minimal.Replace("FIELD2", field2, StringComparison.Ordinal));
        }
        catch (IsoFormatException)
        {
            return;
        }
        foreach (byte[] wire in new[] { Cat(A("0200"), H("4000000000000000")), Cat(A("0200"), H("4000000000000000"), new byte[64]) })
            FuzzTests.OnlyFormatErrors(spec, wire);
    }

    [Fact]
    public void Json_spec_with_a_header_decodes_it_as_hex()
    {
        var spec = Json("""
            {"name": "h", "headerLength": 2, "fields": {
              "0": {"type": "numeric", "length": 4, "encoding": "bcd"},
              "1": {"type": "bitmap", "length": 8, "encoding": "binary"},
              "3": {"type": "numeric", "length": 6, "encoding": "bcd"}
            }}
            """);
        byte[] wire = H("ABCD 0800 2000000000000000 990000");
        var msg = spec.Decode(wire);
        Assert.Equal("{\"header\":\"ABCD\",\"mti\":\"0800\",\"fields\":{\"3\":\"990000\"}}", IsoJson.ToJson(msg));
        Assert.Equal(wire, spec.Encode(IsoJson.Parse(IsoJson.ToJson(msg), spec)));
        var ex = Assert.Throws<IsoFormatException>(() => spec.Decode(H("AB")));
        Assert.Equal(0, ex.Offset);
    }

    [Fact]
    public void Header_of_the_wrong_length_is_refused()
    {
        var spec = Packager("nested.xml");
        Assert.Throws<IsoFormatException>(() => spec.NewMessage("0200").SetHeader(H("0102")));
        Assert.Throws<IsoFormatException>(() => IsoJson.Parse("{\"header\":\"0102\",\"mti\":\"0200\",\"fields\":{}}", spec));
        Assert.Throws<IsoFormatException>(() => IsoJson.Parse("{\"header\":\"XYZ123\",\"mti\":\"0200\",\"fields\":{}}", spec));
    }

    [Fact]
    public void Deeply_nested_packagers_are_refused_without_exhausting_the_stack()
    {
        const int depth = 5000;
        var sb = new StringBuilder("<isopackager>\n<isofield id=\"0\" length=\"4\" name=\"M\" class=\"IFA_NUMERIC\"/>\n<isofield id=\"1\" length=\"16\" name=\"B\" class=\"IFA_BITMAP\"/>\n");
        for (int i = 0; i < depth; i++)
            sb.Append("<isofieldpackager id=\"2\" length=\"999\" name=\"X\" class=\"IFA_LLLCHAR\" packager=\"GenericSubFieldPackager\" emitBitmap=\"false\">\n");
        sb.Append("<isofield id=\"1\" length=\"1\" name=\"Y\" class=\"IF_CHAR\"/>\n");
        for (int i = 0; i < depth; i++) sb.Append("</isofieldpackager>\n");
        sb.Append("</isopackager>\n");
        var ex = Assert.Throws<IsoFormatException>(() => JposPackagerImporter.Parse(Encoding.UTF8.GetBytes(sb.ToString()), "deep.xml"));
        Assert.Contains("deep.xml", ex.Message, StringComparison.Ordinal);
    }

    private static MessageSpec NestedPackager(int levels)
    {
        var sb = new StringBuilder("<isopackager>\n<isofield id=\"0\" length=\"4\" name=\"M\" class=\"IFA_NUMERIC\"/>\n<isofield id=\"1\" length=\"16\" name=\"B\" class=\"IFA_BITMAP\"/>\n");
        for (int i = 0; i < levels; i++)
            sb.Append("<isofieldpackager id=\"2\" length=\"999\" name=\"X\" class=\"IFA_LLLCHAR\" packager=\"GenericSubFieldPackager\" emitBitmap=\"false\">\n");
        sb.Append("<isofield id=\"1\" length=\"1\" name=\"Y\" class=\"IF_CHAR\"/>\n");
        for (int i = 0; i < levels; i++) sb.Append("</isofieldpackager>\n");
        sb.Append("</isopackager>\n");
        return JposPackagerImporter.Parse(Encoding.UTF8.GetBytes(sb.ToString()), $"levels-{levels}.xml");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(5)]
    public void Nested_packagers_up_to_five_levels_deep_decode_and_encode(int levels)
    {
        var spec = NestedPackager(levels);
        // 2 { 2 { … { 1: "Z" } } }: each level is an ASCII LLL length, then its content.
        byte[] inner = A("Z");
        string json = "{\"1\":\"Z\"}";
        for (int i = 0; i < levels; i++)
        {
            inner = Cat(A(inner.Length.ToString("D3")), inner);
            json = (i == levels - 1 ? "{\"mti\":\"0200\",\"fields\":{\"2\":{\"fields\":" : "{\"2\":{\"fields\":") + json + (i == levels - 1 ? "}}}" : "}}");
        }
        byte[] wire = Cat(A("0200"), A("4000000000000000"), inner);
        Assert.Equal(json, IsoJson.ToJson(spec.Decode(wire)));
        Assert.Equal(wire, spec.Encode(IsoJson.Parse(json, spec)));
    }

    [Fact]
    public void Nested_packagers_six_levels_deep_are_refused_naming_the_line()
    {
        var ex = Assert.Throws<IsoFormatException>(() => NestedPackager(6));
        Assert.Contains("line 9", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mutated_packager_xml_only_raises_format_errors()
    {
        string xml = File.ReadAllText(PackagerPath("nested.xml"));
        var rnd = new Random(5);
        string alphabet = "<>/=\"' 0123456789abcdefILFABNUMCHARgx\n";
        for (int i = 0; i < 1500; i++)
        {
            var chars = xml.ToCharArray();
            for (int k = rnd.Next(1, 4); k > 0; k--) chars[rnd.Next(chars.Length)] = alphabet[rnd.Next(alphabet.Length)];
            try
            {
                var spec = JposPackagerImporter.Parse(Encoding.UTF8.GetBytes(chars), "mutated.xml");
                _ = SpecTable.Render(spec);
            }
            catch (IsoFormatException)
            {
            }
        }
    }

    [Fact]
    public void Mutated_json_specs_only_raise_format_errors()
    {
        string json = SpecCatalog.BuiltInJson("iso8583-1993-binary");
        var rnd = new Random(6);
        string alphabet = "{}[]:,\" 0123456789-LlFfbcdinasryx";
        for (int i = 0; i < 1500; i++)
        {
            var chars = json.ToCharArray();
            for (int k = rnd.Next(1, 4); k > 0; k--) chars[rnd.Next(chars.Length)] = alphabet[rnd.Next(alphabet.Length)];
            try
            {
                var spec = SpecJson.Parse(Encoding.UTF8.GetBytes(chars), "mutated.json");
                _ = SpecTable.Render(spec);
            }
            catch (IsoFormatException)
            {
            }
        }
    }

    [Fact]
    public void Describe_table_lists_every_field_with_its_wire_form()
    {
        string table = SpecTable.Render(Packager("nested.xml"));
        Assert.Contains("header", table, StringComparison.Ordinal);
        Assert.Contains("127.4.2", table, StringComparison.Ordinal);
        Assert.Contains("62.2", table, StringComparison.Ordinal);
        string binary = SpecTable.Render(SpecCatalog.BuiltIn("iso8583-1987-binary"));
        Assert.Contains("MTI", binary, StringComparison.Ordinal);
        Assert.Contains("128", binary, StringComparison.Ordinal);
    }
}

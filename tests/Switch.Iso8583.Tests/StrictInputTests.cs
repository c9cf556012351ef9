using System.Text;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;
using static Switch.Iso8583.Tests.TestData;

namespace Switch.Iso8583.Tests;

/// <summary>Input that a lenient reader would accept and silently change: an empty MTI, duplicate JSON keys.</summary>
public sealed class StrictInputTests
{
    private static readonly MessageSpec Ascii = SpecCatalog.BuiltIn("iso8583-1987-ascii");

    [Theory]
    [InlineData("")]
    [InlineData("200")]
    [InlineData("02000")]
    public void An_mti_that_is_not_exactly_four_digits_is_refused_not_padded(string mti)
    {
        var ex = Assert.Throws<IsoFormatException>(() => IsoJson.Parse($"{{\"mti\":\"{mti}\",\"fields\":{{}}}}", Ascii));
        Assert.Equal(0, ex.Field);
        Assert.Throws<IsoFormatException>(() => Ascii.NewMessage(mti));
    }

    [Theory]
    [InlineData("{\"mti\":\"0800\",\"mti\":\"0810\",\"fields\":{}}", "duplicate key 'mti'")]
    [InlineData("{\"mti\":\"0800\",\"fields\":{},\"fields\":{\"11\":\"1\"}}", "duplicate key 'fields'")]
    [InlineData("{\"mti\":\"0800\",\"fields\":{\"11\":\"1\",\"70\":\"301\",\"11\":\"2\"}}", "duplicate key '11' in 'fields'")]
    public void Duplicate_keys_in_a_message_are_refused_naming_the_key(string json, string expected)
    {
        var ex = Assert.Throws<IsoFormatException>(() => IsoJson.Parse(json, Ascii));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"header\":\"010203\",\"mti\":\"0200\",\"fields\":{\"127\":{\"header\":\"0A0B\",\"fields\":{\"2\":\"ABCDE\",\"2\":\"FGHIJ\"}}}}", "duplicate key '2' in 'fields'")]
    [InlineData("{\"header\":\"010203\",\"mti\":\"0200\",\"fields\":{\"127\":{\"header\":\"0A0B\",\"header\":\"0C0D\",\"fields\":{}}}}", "duplicate key 'header'")]
    [InlineData("{\"header\":\"010203\",\"mti\":\"0200\",\"fields\":{\"127\":{\"header\":\"0A0B\",\"fields\":{\"4\":{\"fields\":{\"1\":\"AB\",\"1\":\"CD\"}}}}}}", "duplicate key '1' in 'fields'")]
    public void Duplicate_keys_in_sub_messages_are_refused_at_any_depth(string json, string expected)
    {
        var ex = Assert.Throws<IsoFormatException>(() => IsoJson.Parse(json, Packager("nested.xml")));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.Equal(127, ex.Field);
    }

    [Fact]
    public void The_same_json_without_duplicates_encodes()
    {
        const string json = "{\"header\":\"010203\",\"mti\":\"0200\",\"fields\":{\"127\":{\"header\":\"0A0B\",\"fields\":{\"2\":\"ABCDE\",\"4\":{\"fields\":{\"1\":\"AB\",\"2\":\"CD\"}}}}}}";
        var spec = Packager("nested.xml");
        Assert.Equal(json, IsoJson.ToJson(spec.Decode(spec.Encode(IsoJson.Parse(json, spec)))));
    }

    [Theory]
    [InlineData("{\"name\":\"t\",\"name\":\"u\",\"fields\":{}}", "name")]
    [InlineData("{\"name\":\"t\",\"fields\":{\"0\":{\"type\":\"numeric\",\"length\":4,\"encoding\":\"ascii\"},\"0\":{\"type\":\"numeric\",\"length\":4,\"encoding\":\"bcd\"}}}", "fields.0")]
    [InlineData("{\"name\":\"t\",\"fields\":{\"0\":{\"type\":\"numeric\",\"length\":4,\"encoding\":\"ascii\",\"encoding\":\"bcd\"}}}", "fields.0.encoding")]
    public void Duplicate_keys_in_a_spec_are_refused_naming_the_key(string json, string path)
    {
        var ex = Assert.Throws<IsoFormatException>(() => SpecJson.Parse(Encoding.UTF8.GetBytes(json), "dup.json"));
        Assert.Contains($"dup.json: {path}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("duplicate key", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_json_names_its_position_and_the_problem()
    {
        var ex = Assert.Throws<IsoFormatException>(() => IsoJson.Parse("{\"mti\":\"0800\",\n\"fields\":{\"11\":1x}}", Ascii));
        Assert.Contains("line 2", ex.Message, StringComparison.Ordinal);
        Assert.Contains("invalid JSON", ex.Message, StringComparison.Ordinal);
    }
}

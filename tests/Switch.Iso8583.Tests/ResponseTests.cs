using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;

namespace Switch.Iso8583.Tests;

/// <summary>Building a response from a request by copying fields as bytes.</summary>
public sealed class ResponseTests
{
    private static readonly int[] Echo = [2, 3, 4, 7, 11, 12, 13, 37, 41, 42, 49];

    [Theory]
    [InlineData("iso8583-1987-binary", "iso87binary-0200.hex")]
    [InlineData("iso8583-1987-ascii", "iso87ascii-0200.hex")]
    public void A_response_echoes_fields_byte_for_byte_and_adds_its_own(string specName, string sample)
    {
        var spec = SpecCatalog.BuiltIn(specName);
        var request = spec.Decode(TestData.Sample(sample), DecodeMode.Index);
        var response = request.CreateResponse("0210", Echo).Set(39, "00");

        // The same message built from strings must encode to the same bytes.
        var expected = spec.NewMessage("0210");
        foreach (int f in Echo) expected.Set(f, request.GetString(f)!);
        expected.Set(39, "00");
        Assert.Equal(spec.Encode(expected), spec.Encode(response));

        var decoded = spec.Decode(spec.Encode(response));
        Assert.Equal("0210", decoded.Mti);
        Assert.Equal(Echo.Append(39).Order().ToList(), decoded.Fields.ToList());
        Assert.Equal("4761739001010119", decoded[2]);
    }

    [Fact]
    public void Fields_the_request_lacks_are_skipped_and_changing_the_response_leaves_the_request_alone()
    {
        var spec = SpecCatalog.BuiltIn("iso8583-1987-binary");
        var request = spec.Decode(TestData.BinarySample);
        var response = request.CreateResponse("0210", [11, 39, 70]);
        Assert.Equal([11], response.Fields.ToList());
        response.Set(11, "999999");
        Assert.Equal("123456", request[11]);
        Assert.Equal("999999", response[11]);
    }

    [Fact]
    public void A_response_keeps_the_request_header()
    {
        const string json = """
            {"name":"with-header","headerLength":3,"fields":{
              "0":{"type":"numeric","length":4,"encoding":"ascii"},
              "1":{"type":"bitmap","length":8,"encoding":"binary"},
              "11":{"type":"numeric","length":6,"encoding":"ascii"},
              "39":{"type":"string","length":2,"encoding":"ascii"}}}
            """;
        var spec = SpecJson.Parse(System.Text.Encoding.UTF8.GetBytes(json), "test");
        var request = spec.NewMessage("0800").Set(11, "000001");
        request.SetHeader([0x60, 0x01, 0x02]);
        var decoded = spec.Decode(spec.Encode(request));
        var response = decoded.CreateResponse("0810", [11]).Set(39, "00");
        var back = spec.Decode(spec.Encode(response));
        Assert.Equal("600102", Convert.ToHexString(back.Header));
        Assert.Equal("0810", back.Mti);
        Assert.Equal("000001", back[11]);
    }
}

/// <summary>Values set into fixed-length fields read back as they go on the wire.</summary>
public sealed class FixedLengthSetTests
{
    [Theory]
    [InlineData("iso8583-1987-binary", 41, "TERM 01", "TERM 01 ")]
    [InlineData("iso8583-1987-binary", 4, "100", "000000000100")]
    [InlineData("iso8583-1987-binary", 22, "51", "051")]
    [InlineData("iso8583-1987-binary", 28, "C100", "C00000100")]
    [InlineData("iso8583-1987-ascii", 11, "7", "000007")]
    [InlineData("iso8583-1987-ebcdic", 41, "T1", "T1      ")]
    public void A_short_value_is_padded_when_set(string specName, int field, string value, string expected)
    {
        var spec = SpecCatalog.BuiltIn(specName);
        var message = spec.NewMessage("0200").Set(field, value);
        Assert.Equal(expected, message[field]);
        Assert.Equal(expected, spec.Decode(spec.Encode(message))[field]);
    }
}

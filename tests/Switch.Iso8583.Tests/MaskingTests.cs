using Switch.Common.Masking;
using Switch.Iso8583.Masking;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;
using static Switch.Iso8583.Tests.TestData;

namespace Switch.Iso8583.Tests;

/// <summary>The one masking formatter: PAN first 6 / last 4, track data, PIN and security data, EMV tags.</summary>
public sealed class MaskingTests
{
    private static readonly MessageSpec Binary87 = SpecCatalog.BuiltIn("iso8583-1987-binary");
    private static readonly MessageSpec Ascii87 = SpecCatalog.BuiltIn("iso8583-1987-ascii");

    [Theory]
    [InlineData("4761739001010119", "476173******0119")]
    [InlineData("4761739001010119123", "476173*********9123")]
    [InlineData("5413330089020011", "541333******0011")]
    public void Pan_keeps_first_6_and_last_4(string pan, string masked)
    {
        Assert.Equal(masked, PanMask.Mask(pan));
        Assert.Equal(masked, SensitiveDataMasker.MaskField(Binary87[2]!, pan));
        Assert.Equal(masked, SensitiveDataMasker.MaskField(Binary87[34]!, pan));
    }

    [Fact]
    public void Short_numbers_never_show_more_than_the_last_4()
    {
        Assert.Equal("****", SensitiveDataMasker.MaskField(Binary87[2]!, "1234"));
        Assert.Equal("********9012", SensitiveDataMasker.MaskField(Binary87[2]!, "123456789012"));
    }

    [Theory]
    [InlineData(35, "4761739001010119=28122011234567890")]
    [InlineData(35, "4761739001010119D28122011234567890")]
    [InlineData(45, "B4761739001010119^CARDHOLDER/TEST^2812201000000")]
    public void Track_data_shows_only_the_masked_pan(int field, string track)
    {
        string masked = SensitiveDataMasker.MaskField(Ascii87[field]!, track);
        Assert.StartsWith("476173******0119", masked, StringComparison.Ordinal);
        Assert.DoesNotContain("2812", masked, StringComparison.Ordinal);
        Assert.DoesNotContain("CARDHOLDER", masked, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(52, "1A2B3C4D5E6F7081")]
    [InlineData(53, "2600000000000000")]
    [InlineData(96, "1A2B3C4D5E6F70811A2B3C4D5E6F7081")]
    [InlineData(110, "CVV2=123")]
    [InlineData(111, "CVC2=456")]
    public void Pin_block_security_data_and_cvv_fields_are_removed(int field, string value)
    {
        Assert.Equal(SensitiveDataMasker.Redacted, SensitiveDataMasker.MaskField(Binary87[field]!, value));
    }

    [Fact]
    public void Emv_pan_track2_equivalent_and_cardholder_name_are_masked_or_removed()
    {
        string emv = "5A08" + "4761739001010119" + "5710" + "4761739001010119D28122011234567F" + "5F200A" + "43415244484F4C444552" + "9F02060000000123 45".Replace(" ", "", StringComparison.Ordinal);
        string masked = SensitiveDataMasker.MaskEmvHex(emv);
        Assert.Contains("5A=476173******0119", masked, StringComparison.Ordinal);
        Assert.Contains("57=" + SensitiveDataMasker.Redacted, masked, StringComparison.Ordinal);
        Assert.Contains("5F20=" + SensitiveDataMasker.Redacted, masked, StringComparison.Ordinal);
        Assert.Contains("9F02=000000012345", masked, StringComparison.Ordinal);
        Assert.DoesNotContain("4761739001010119", masked, StringComparison.Ordinal);
        Assert.DoesNotContain("43415244484F4C444552", masked, StringComparison.Ordinal);
    }

    [Fact]
    public void Emv_tags_inside_templates_are_masked_too()
    {
        string emv = "7012" + "5A08" + "4761739001010119" + "5F2004" + "4E414D45";
        string masked = SensitiveDataMasker.MaskEmvHex(emv);
        Assert.DoesNotContain("4761739001010119", masked, StringComparison.Ordinal);
        Assert.DoesNotContain("4E414D45", masked, StringComparison.Ordinal);
    }

    [Fact]
    public void Unparseable_emv_data_is_removed_whole()
    {
        Assert.Equal(SensitiveDataMasker.Redacted, SensitiveDataMasker.MaskEmvHex("5A084761739001"));
        Assert.Equal(SensitiveDataMasker.Redacted, SensitiveDataMasker.MaskEmvHex("not hex"));
    }

    [Theory]
    [InlineData("iso87binary-0200.hex", "iso8583-1987-binary")]
    [InlineData("iso87ascii-0200.hex", "iso8583-1987-ascii")]
    public void Masked_json_of_the_sample_contains_no_full_pan_track_or_pin(string sample, string specName)
    {
        var msg = SpecCatalog.BuiltIn(specName).Decode(Sample(sample));
        string masked = SensitiveDataMasker.ToMaskedJson(msg);
        Assert.DoesNotContain("4761739001010119", masked, StringComparison.Ordinal);
        Assert.DoesNotContain("28122011234567890", masked, StringComparison.Ordinal);
        Assert.DoesNotContain("1A2B3C4D5E6F7081", masked, StringComparison.Ordinal);
        Assert.Contains("\"2\":\"476173******0119\"", masked, StringComparison.Ordinal);
        Assert.Contains("\"52\":\"" + SensitiveDataMasker.Redacted + "\"", masked, StringComparison.Ordinal);
        Assert.Contains("\"4\":\"000000012345\"", masked, StringComparison.Ordinal);
    }

    [Fact]
    public void Masked_json_hides_a_pan_carried_in_de55()
    {
        var spec = SpecCatalog.BuiltIn("iso8583-1987-binary");
        var msg = spec.NewMessage("0200").Set(2, "4761739001010119").Set(55, "5A084761739001010119" + SampleEmv);
        string masked = SensitiveDataMasker.ToMaskedJson(spec.Decode(spec.Encode(msg)));
        Assert.DoesNotContain("4761739001010119", masked, StringComparison.Ordinal);
    }

    [Fact]
    public void Masked_json_of_sub_messages_lists_only_which_sub_fields_are_present()
    {
        var spec = Packager("nested.xml");
        var msg = IsoJson.Parse(
            "{\"header\":\"010203\",\"mti\":\"0200\",\"fields\":{\"48\":{\"fields\":{\"1\":\"PAN\",\"2\":\"4761\",\"3\":\"4761739001010119\"}}}}", spec);
        string masked = SensitiveDataMasker.ToMaskedJson(spec.Decode(spec.Encode(msg)));
        Assert.DoesNotContain("4761739001010119", masked, StringComparison.Ordinal);
    }

    [Fact]
    public void Masked_json_never_throws_for_a_lazily_decoded_message_with_bad_values()
    {
        var spec = Packager("nested.xml");
        // Field 127's 5-byte payload holds its header and only 3 of its 8 bitmap bytes; field 2 is fine.
        byte[] wire = Cat(H("010203"), A("0200"), H("C000000000000000"), H("0000000000000002"), A("16"), A("4761739001010119"),
            H("0005"), H("0A0B"), H("700000"));
        var msg = spec.Decode(wire, DecodeMode.Index);
        string masked = SensitiveDataMasker.ToMaskedJson(msg);
        Assert.Contains("\"127\":\"[unreadable]\"", masked, StringComparison.Ordinal);
        Assert.Contains("\"2\":\"476173******0119\"", masked, StringComparison.Ordinal);

        var binary = SpecCatalog.BuiltIn("iso8583-1987-binary");
        // Field 3 (BCD) is not validated by a lazy decode; its pad nibble is fine but field 22 (left pad) holds F051.
        byte[] bad = Cat(H("0200"), H("0000040000000000"), H("F051"));
        string maskedBad = SensitiveDataMasker.ToMaskedJson(binary.Decode(bad, DecodeMode.Index));
        Assert.Contains("\"22\":\"[unreadable]\"", maskedBad, StringComparison.Ordinal);
    }

    [Fact]
    public void Which_fields_are_masked_is_read_from_the_spec_not_from_the_field_number()
    {
        const string json = """
            {"name": "custom", "fields": {
              "0": {"type": "numeric", "length": 4, "encoding": "ascii"},
              "1": {"type": "bitmap", "length": 8, "encoding": "binary"},
              "2": {"type": "numeric", "length": 19, "prefix": "LL", "encoding": "ascii"},
              "48": {"type": "string", "length": 99, "prefix": "LL", "encoding": "ascii", "sensitive": "secret"},
              "62": {"type": "numeric", "length": 19, "prefix": "LL", "encoding": "ascii", "sensitive": "pan"}
            }}
            """;
        var spec = SpecJson.Parse(System.Text.Encoding.UTF8.GetBytes(json), "custom.json");
        var msg = spec.NewMessage("0200").Set(2, "12345").Set(48, "CVV2=123").Set(62, "4761739001010119");
        string masked = SensitiveDataMasker.ToMaskedJson(msg);
        Assert.Contains("\"2\":\"12345\"", masked, StringComparison.Ordinal);
        Assert.Contains("\"48\":\"" + SensitiveDataMasker.Redacted + "\"", masked, StringComparison.Ordinal);
        Assert.Contains("\"62\":\"476173******0119\"", masked, StringComparison.Ordinal);
        Assert.DoesNotContain("CVV2", masked, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("iso8583-1987-ascii")]
    [InlineData("iso8583-1987-binary")]
    [InlineData("iso8583-1987-ebcdic")]
    [InlineData("iso8583-1993-ascii")]
    [InlineData("iso8583-1993-binary")]
    public void Built_in_specs_declare_the_card_data_fields(string name)
    {
        var spec = SpecCatalog.BuiltIn(name);
        foreach (var field in spec.Fields)
        {
            Assert.True(FieldSpec.DefaultSensitivity(field.Number) == field.Sensitivity, $"{name} field {field.Number}: {field.Sensitivity}");
        }
        Assert.Equal(Sensitivity.Pan, spec[2]!.Sensitivity);
        Assert.Equal(Sensitivity.Track, spec[35]!.Sensitivity);
        Assert.Equal(Sensitivity.Secret, spec[52]!.Sensitivity);
        Assert.Equal(Sensitivity.Emv, spec[55]!.Sensitivity);
        Assert.Contains("sensitive: secret", SpecTable.Render(spec), StringComparison.Ordinal);
    }

    [Fact]
    public void A_jpos_packager_gets_the_iso_defaults_by_field_number_and_its_sub_fields_none()
    {
        var binary = Packager("iso87binary.xml");
        Assert.Equal(Sensitivity.Pan, binary[2]!.Sensitivity);
        Assert.Equal(Sensitivity.Track, binary[35]!.Sensitivity);
        Assert.Equal(Sensitivity.Secret, binary[52]!.Sensitivity);
        Assert.Equal(Sensitivity.Emv, binary[55]!.Sensitivity);
        Assert.Equal(Sensitivity.None, binary[4]!.Sensitivity);
        var nested = Packager("nested.xml");
        Assert.Equal(Sensitivity.Pan, nested[2]!.Sensitivity);
        Assert.All(nested[127]!.Subfields!.Fields, f => Assert.Equal(Sensitivity.None, f.Sensitivity));

        string masked = SensitiveDataMasker.ToMaskedJson(binary.Decode(BinarySample));
        Assert.DoesNotContain("4761739001010119", masked, StringComparison.Ordinal);
        Assert.DoesNotContain("1A2B3C4D5E6F7081", masked, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_sensitivity_in_a_spec_is_an_error_naming_the_key()
    {
        const string json = """{"name": "t", "fields": {"0": {"type": "numeric", "length": 4, "encoding": "ascii", "sensitive": "private"}}}""";
        var ex = Assert.Throws<IsoFormatException>(() => SpecJson.Parse(System.Text.Encoding.UTF8.GetBytes(json), "t.json"));
        Assert.Contains("t.json: fields.0.sensitive", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_secret_field_is_removed_even_when_it_has_sub_fields()
    {
        var spec = Packager("nested.xml");
        var composite = spec[127]!;
        var secret = composite.WithSensitivity(Sensitivity.Secret);
        Assert.Equal(Sensitivity.Secret, secret.Sensitivity);
        Assert.Same(composite.Subfields, secret.Subfields);
        Assert.Equal(SensitiveDataMasker.Redacted, SensitiveDataMasker.MaskField(secret, "anything"));
    }
}

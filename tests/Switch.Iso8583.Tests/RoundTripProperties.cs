using FsCheck;
using FsCheck.Fluent;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;

namespace Switch.Iso8583.Tests;

/// <summary>FsCheck: random valid messages round-trip on every built-in spec and every test packager.</summary>
public sealed class RoundTripProperties
{
    public static TheoryData<string> AllSpecs()
    {
        var data = new TheoryData<string>();
        foreach (string name in SpecCatalog.BuiltInNames) data.Add(name);
        foreach (string file in new[] { "iso87ascii.xml", "iso87binary.xml", "ifa-classes.xml", "ifb-classes.xml", "ife-classes.xml", "nested.xml", "tertiary.xml", "hex-carrier.xml" })
            data.Add("packager:" + file);
        return data;
    }

    internal static MessageSpec Resolve(string name) =>
        name.StartsWith("packager:", StringComparison.Ordinal) ? TestData.Packager(name["packager:".Length..]) : SpecCatalog.BuiltIn(name);

    [Fact]
    public void The_built_in_specs_are_the_four_iso_dialects_and_at_least_one_ebcdic_dialect()
    {
        foreach (string name in new[] { "iso8583-1987-ascii", "iso8583-1987-binary", "iso8583-1993-ascii", "iso8583-1993-binary" })
            Assert.Contains(name, SpecCatalog.BuiltInNames);
        Assert.Contains(SpecCatalog.BuiltInNames, n => n.Contains("ebcdic", StringComparison.Ordinal));
    }

    private static void Check(string specName, Action<MessageSpec, int> property, int tests = 250)
    {
        var spec = Resolve(specName);
        var seeds = Gen.Choose(0, int.MaxValue).ToArbitrary();
        FsCheck.Check.One(Config.QuickThrowOnFailure.WithMaxTest(tests).WithQuietOnSuccess(true), Prop.ForAll(seeds, seed => property(spec, seed)));
    }

    [Theory]
    [MemberData(nameof(AllSpecs))]
    public void Encode_decode_encode_gives_the_same_bytes_and_values(string specName)
    {
        Check(specName, (spec, seed) =>
        {
            var built = RandomMessages.Build(spec, seed);
            byte[] wire = spec.Encode(built);
            var decoded = spec.Decode(wire, DecodeMode.Strict);
            Assert.Equal(IsoJson.ToJson(built), IsoJson.ToJson(decoded));
            Assert.Equal(built.Mti, decoded.Mti);
            Assert.Equal(wire, spec.Encode(decoded));
            Assert.Equal(wire, spec.Encode(spec.Decode(wire, DecodeMode.Index)));
        });
    }

    [Theory]
    [MemberData(nameof(AllSpecs))]
    public void A_message_measures_its_own_length_and_every_cut_asks_for_more(string specName)
    {
        Check(specName, (spec, seed) =>
        {
            byte[] wire = spec.Encode(RandomMessages.Build(spec, seed));
            Assert.Equal(MeasureStatus.Complete, spec.TryMeasure([.. wire, 0x30, 0x30], out int length, out var error));
            Assert.Null(error);
            Assert.Equal(wire.Length, length);
            int cut = new Random(seed).Next(wire.Length);
            Assert.Equal(MeasureStatus.NeedMoreData, spec.TryMeasure(wire.AsSpan(0, cut), out _, out _));
            Assert.True(spec.TryDecode(wire, out var whole, out _));
            Assert.Equal(wire, spec.Encode(whole));
        }, tests: 100);
    }

    [Theory]
    [MemberData(nameof(AllSpecs))]
    public void Json_round_trip_gives_the_same_bytes(string specName)
    {
        Check(specName, (spec, seed) =>
        {
            byte[] wire = spec.Encode(RandomMessages.Build(spec, seed));
            string json = IsoJson.ToJson(spec.Decode(wire, DecodeMode.Materialize));
            Assert.Equal(wire, spec.Encode(IsoJson.Parse(json, spec)));
        });
    }

    [Theory]
    [MemberData(nameof(AllSpecs))]
    public void Values_read_lazily_equal_values_read_eagerly(string specName)
    {
        Check(specName, (spec, seed) =>
        {
            byte[] wire = spec.Encode(RandomMessages.Build(spec, seed));
            Assert.Equal(IsoJson.ToJson(spec.Decode(wire, DecodeMode.Materialize)), IsoJson.ToJson(spec.Decode(wire, DecodeMode.Index)));
        }, tests: 100);
    }

    [Fact]
    public void Decoding_into_a_reused_message_gives_the_same_values()
    {
        var spec = SpecCatalog.BuiltIn("iso8583-1987-binary");
        var reused = spec.NewMessage();
        Check("iso8583-1987-binary", (_, seed) =>
        {
            byte[] wire = spec.Encode(RandomMessages.Build(spec, seed));
            spec.Decode(wire, reused, DecodeMode.Index);
            Assert.Equal(IsoJson.ToJson(spec.Decode(wire)), IsoJson.ToJson(reused));
        }, tests: 100);
    }
}

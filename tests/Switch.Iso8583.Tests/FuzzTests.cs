using FsCheck;
using FsCheck.Fluent;
using Switch.Iso8583.Masking;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;
using Switch.Iso8583.Tlv;

namespace Switch.Iso8583.Tests;

/// <summary>
/// Mutated and random input: only <see cref="IsoFormatException"/> (or <see cref="TlvFormatException"/> from
/// BerTlv itself) may escape, and whatever is accepted encodes back to the same bytes.
/// </summary>
public sealed class FuzzTests
{
    /// <summary>Valid messages to mutate, one or more per spec.</summary>
    public static TheoryData<string> Corpora() => RoundTripProperties.AllSpecs();

    private static IEnumerable<byte[]> Seeds(string specName, MessageSpec spec)
    {
        if (specName == "iso8583-1987-binary" || specName == "packager:iso87binary.xml") yield return TestData.BinarySample;
        if (specName == "iso8583-1987-ascii" || specName == "packager:iso87ascii.xml") yield return TestData.AsciiSample;
        if (specName == "iso8583-1987-ebcdic") yield return TestData.Sample("iso87ebcdic-0200.hex");
        for (int seed = 1; seed <= 6; seed++) yield return spec.Encode(RandomMessages.Build(spec, seed * 7919));
    }

    /// <summary>Decodes in every mode, reads everything, re-encodes what was accepted.</summary>
    internal static void OnlyFormatErrors(MessageSpec spec, byte[] input)
    {
        try
        {
            Exercise(spec, input);
        }
        catch (IsoFormatException)
        {
        }
        catch (Exception ex)
        {
            Assert.Fail($"{ex.GetType().Name} escaped for input {Convert.ToHexString(input)}: {ex}");
        }
    }

    private static void Exercise(MessageSpec spec, byte[] input)
    {
        foreach (var mode in new[] { DecodeMode.Index, DecodeMode.Materialize })
        {
            IsoMessage msg;
            try
            {
                msg = spec.Decode(input, mode);
            }
            catch (IsoFormatException)
            {
                continue;
            }
            // The masker feeds log lines: it must render whatever was accepted, even lazily checked junk.
            try
            {
                Assert.NotEmpty(SensitiveDataMasker.ToMaskedJson(msg));
            }
            catch (IsoFormatException ex)
            {
                Assert.Fail($"the masker threw for accepted input {Convert.ToHexString(input)}: {ex.Message}");
            }
            string json;
            try
            {
                json = IsoJson.ToJson(msg);
            }
            catch (IsoFormatException) when (mode == DecodeMode.Index)
            {
                continue; // a lazily checked value may be bad
            }
            if (mode == DecodeMode.Index) continue;
            AssertSameBytes(input, spec.Encode(msg));
            AssertSameBytes(input, spec.Encode(IsoJson.Parse(json, spec)));
        }
    }

    /// <summary>Byte identity, except that hex characters read in lowercase are written in uppercase.</summary>
    internal static void AssertSameBytes(byte[] input, byte[] output)
    {
        bool same = input.Length == output.Length;
        for (int i = 0; same && i < input.Length; i++)
        {
            byte a = input[i], b = output[i];
            same = a == b
                || (a is >= (byte)'a' and <= (byte)'f' && b == a - 0x20)   // ASCII hex
                || (a is >= 0x81 and <= 0x86 && b == a + 0x40);          // EBCDIC hex
        }
        Assert.True(same, $"accepted input does not encode back to itself:\n in  {Convert.ToHexString(input)}\n out {Convert.ToHexString(output)}");
    }

    [Theory]
    [MemberData(nameof(Corpora))]
    public void Truncation_at_every_offset_is_a_format_error(string specName)
    {
        var spec = RoundTripProperties.Resolve(specName);
        foreach (byte[] seed in Seeds(specName, spec))
        {
            for (int n = 0; n < seed.Length; n++)
            {
                byte[] cut = seed[..n];
                OnlyFormatErrors(spec, cut);
            }
        }
    }

    [Theory]
    [InlineData("iso8583-1987-binary")]
    [InlineData("iso8583-1987-ascii")]
    public void Every_proper_prefix_of_a_sample_is_rejected(string specName)
    {
        var spec = SpecCatalog.BuiltIn(specName);
        byte[] sample = specName.EndsWith("binary", StringComparison.Ordinal) ? TestData.BinarySample : TestData.AsciiSample;
        for (int n = 0; n < sample.Length; n++)
        {
            var ex = Assert.Throws<IsoFormatException>(() => spec.Decode(sample.AsMemory(0, n)));
            Assert.InRange(ex.Offset, 0, n);
        }
    }

    private static readonly Func<byte, byte>[] Flips =
    [
        b => (byte)(b ^ 0xFF), b => (byte)(b ^ 0x01), b => (byte)(b ^ 0x80), b => (byte)(b + 1),
        _ => 0x00, _ => 0xFF, _ => (byte)'9', _ => 0xF9, _ => 0x99,
    ];

    [Theory]
    [MemberData(nameof(Corpora))]
    public void Flipping_any_byte_yields_a_format_error_or_a_message_that_round_trips(string specName)
    {
        var spec = RoundTripProperties.Resolve(specName);
        foreach (byte[] seed in Seeds(specName, spec))
        {
            for (int i = 0; i < seed.Length; i++)
            {
                foreach (var flip in Flips)
                {
                    byte[] m = (byte[])seed.Clone();
                    m[i] = flip(m[i]);
                    OnlyFormatErrors(spec, m);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Corpora))]
    public void Extending_a_message_is_a_format_error(string specName)
    {
        var spec = RoundTripProperties.Resolve(specName);
        var rnd = new Random(17);
        foreach (byte[] seed in Seeds(specName, spec))
        {
            for (int extra = 1; extra <= 12; extra++)
            {
                byte[] longer = [.. seed, .. RandomMessages.Bytes(rnd, extra)];
                if (spec.HasBitmap && spec.HeaderLength == 0)
                    Assert.Throws<IsoFormatException>(() => spec.Decode(longer));
                OnlyFormatErrors(spec, longer);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Corpora))]
    public void Random_mutations_only_raise_format_errors(string specName)
    {
        var spec = RoundTripProperties.Resolve(specName);
        var seeds = Seeds(specName, spec).ToArray();
        var gen = Gen.Choose(0, int.MaxValue).ToArbitrary();
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(400).WithQuietOnSuccess(true), Prop.ForAll(gen, s =>
        {
            var rnd = new Random(s);
            var bytes = seeds[rnd.Next(seeds.Length)].ToList();
            int edits = rnd.Next(1, 5);
            for (int e = 0; e < edits && bytes.Count > 0; e++)
            {
                int at = rnd.Next(bytes.Count);
                switch (rnd.Next(4))
                {
                    case 0: bytes[at] = (byte)rnd.Next(256); break;
                    case 1: bytes.RemoveAt(at); break;
                    case 2: bytes.Insert(at, (byte)rnd.Next(256)); break;
                    default: bytes.RemoveRange(at, Math.Min(rnd.Next(1, 8), bytes.Count - at)); break;
                }
            }
            OnlyFormatErrors(spec, bytes.ToArray());
        }));
    }

    [Theory]
    [MemberData(nameof(Corpora))]
    public void Random_bytes_only_raise_format_errors(string specName)
    {
        var spec = RoundTripProperties.Resolve(specName);
        var rnd = new Random(4242);
        byte[] valid = Seeds(specName, spec).First();
        for (int i = 0; i < 1500; i++)
        {
            byte[] noise = RandomMessages.Bytes(rnd, rnd.Next(0, 300));
            OnlyFormatErrors(spec, noise);
            // Keep a valid start (header, MTI, part of the bitmap) so the noise reaches the field parsers.
            int keep = Math.Min(valid.Length, rnd.Next(0, 40));
            OnlyFormatErrors(spec, [.. valid.AsSpan(0, keep), .. noise]);
        }
    }

    [Theory]
    [InlineData("iso8583-1987-ascii", "0200", "4000000000000000", "99")]
    [InlineData("iso8583-1987-ascii", "0200", "0000000000000200", "999")]
    [InlineData("iso8583-1987-binary", "0200", "4000000000000000", "99")]
    [InlineData("iso8583-1987-binary", "0200", "0000000000000200", "9999")]
    [InlineData("iso8583-1987-binary", "0200", "0000000000000200", "FFFF")]
    public void Huge_declared_lengths_are_format_errors(string specName, string mti, string bitmap, string prefix)
    {
        var spec = SpecCatalog.BuiltIn(specName);
        bool ascii = specName.EndsWith("ascii", StringComparison.Ordinal);
        byte[] head = ascii ? TestData.A(mti + bitmap + prefix) : TestData.H(mti + bitmap + prefix);
        Assert.Throws<IsoFormatException>(() => spec.Decode(head));
        Assert.Throws<IsoFormatException>(() => spec.Decode(TestData.Cat(head, new byte[20])));
    }

    [Fact]
    public void Huge_declared_lengths_in_wide_prefixes_are_format_errors()
    {
        var spec = TestData.Packager("ifa-classes.xml");
        // Field 8 (IFA_LLLLLLCHAR) declares 999999 characters; field 7 (LLLL) 9999.
        Assert.Throws<IsoFormatException>(() => spec.Decode(TestData.A("0800" + "0100000000000000" + "999999" + "abc")));
        Assert.Throws<IsoFormatException>(() => spec.Decode(TestData.A("0800" + "0200000000000000" + "9999" + "abc")));
        var ifb = TestData.Packager("ifb-classes.xml");
        Assert.Throws<IsoFormatException>(() => ifb.Decode(TestData.H("0100 0008000000000000 FF 00")));
    }

    [Fact]
    public void Random_tlv_only_raises_tlv_format_errors()
    {
        var gen = Gen.Choose(0, int.MaxValue).ToArbitrary();
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(3000).WithQuietOnSuccess(true), Prop.ForAll(gen, s =>
        {
            var rnd = new Random(s);
            byte[] data = rnd.Next(3) == 0 ? RandomMessages.Tlv(rnd, 80) : RandomMessages.Bytes(rnd, rnd.Next(0, 60));
            if (data.Length > 0 && rnd.Next(2) == 0) data[rnd.Next(data.Length)] = (byte)rnd.Next(256);
            try
            {
                BerTlv.Parse(data);
                BerTlv.Validate(data);
                _ = SensitiveDataMasker.MaskEmvHex(Convert.ToHexString(data));
            }
            catch (TlvFormatException)
            {
                Assert.Throws<TlvFormatException>(() => BerTlv.Validate(data));
            }
        }));
    }

    [Fact]
    public void Parse_and_validate_agree_on_what_is_valid_tlv()
    {
        var rnd = new Random(99);
        for (int i = 0; i < 3000; i++)
        {
            byte[] data = RandomMessages.Bytes(rnd, rnd.Next(0, 24));
            bool parsed = Succeeds(() => BerTlv.Parse(data));
            bool validated = Succeeds(() => BerTlv.Validate(data));
            Assert.True(parsed == validated, Convert.ToHexString(data));
        }
    }

    private static bool Succeeds(Action a)
    {
        try
        {
            a();
            return true;
        }
        catch (TlvFormatException)
        {
            return false;
        }
    }
}

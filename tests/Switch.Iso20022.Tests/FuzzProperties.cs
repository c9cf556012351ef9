using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Switch.Iso20022.Translation;
using Switch.Iso8583.Spec;

namespace Switch.Iso20022.Tests;

/// <summary>Truncated, random and mutated frames never crash the reader or the translation: a document or a positioned refusal, nothing else.</summary>
public sealed class FuzzProperties
{
    private static readonly byte[][] Seeds = Samples.AllXml().Select(Samples.Bytes).ToArray();
    private static readonly MessageSpec Spec = SpecCatalog.BuiltIn("iso8583-1987-binary");

    private static readonly string[] Fragments =
    [
        "<", ">", "</", "/>", "&", "&amp;", "&#0;", "&#x10FFFF;", "<!DOCTYPE a>", "<![CDATA[x]]>", "<?pi?>", "<!--c-->", "\"", "'", "=", "xmlns=\"urn:x\"",
        "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08\">", "</Document>", "<Ccy>", "Ccy=\"JPY\"", "9999999999999999999.99999",
        "\u00e9", "\ud83d\ude00", "\0", "\u0001", " ", "\n", "<AppHdr>", "xsi:type=\"x\"", "<xi:include href=\"/etc/passwd\"/>",
    ];

    /// <summary>The only acceptable outcomes: a document that translates or refuses to, or an Iso20022Exception with positioned errors.</summary>
    private static bool Survives(byte[] frame)
    {
        try
        {
            var doc = Iso20022Reader.Default.Read(frame);
            TryTranslate(doc);
            return true;
        }
        catch (Iso20022Exception ex)
        {
            return ex.Errors.Count > 0 && ex.Errors.All(e => e.Line >= 1 && e.Position >= 1 && e.Message.Length > 0);
        }
    }

    private static void TryTranslate(Iso20022Document doc)
    {
        try
        {
            var m = Iso8583Translator.ToIso8583(doc, Spec);
            Iso8583Translator.ToIso20022(Spec.Decode(Spec.Encode(m)));
        }
        catch (Iso20022TranslationException)
        {
            // A refusal in words is a fine outcome for a valid message the 8583 side cannot hold.
        }
        catch (Switch.Iso8583.IsoFormatException)
        {
            // A value the ISO 8583 spec refuses (too long for its field) is reported by the codec.
        }
    }

    [Fact]
    public void Every_truncation_of_every_sample_is_refused_or_read()
    {
        foreach (var seed in Seeds)
            for (int cut = 0; cut < seed.Length; cut += 7)
                Assert.True(Survives(seed[..cut]), $"cut at {cut}");
    }

    [Fact]
    public void Random_bytes_are_refused()
    {
        var gen = Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b)).ToArbitrary();
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500).WithQuietOnSuccess(true), Prop.ForAll(gen, bytes => Survives(bytes)));
    }

    [Fact]
    public void Mutated_samples_never_crash()
    {
        var gen = Gen.Choose(0, int.MaxValue).ToArbitrary();
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(1500).WithQuietOnSuccess(true), Prop.ForAll(gen, seed => Survives(Mutate(seed))));
    }

    /// <summary>A sample with a few bytes flipped, deleted, duplicated, or XML fragments inserted.</summary>
    private static byte[] Mutate(int seed)
    {
        var random = new Random(seed);
        var bytes = new List<byte>(Seeds[random.Next(Seeds.Length)]);
        int edits = 1 + random.Next(4);
        for (int i = 0; i < edits && bytes.Count > 0; i++)
        {
            int at = random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 0: bytes[at] = (byte)random.Next(256); break;
                case 1: bytes.RemoveRange(at, Math.Min(bytes.Count - at, 1 + random.Next(20))); break;
                case 2: bytes.InsertRange(at, Encoding.UTF8.GetBytes(Fragments[random.Next(Fragments.Length)])); break;
                case 3: bytes.InsertRange(at, bytes.GetRange(at, Math.Min(bytes.Count - at, 1 + random.Next(60)))); break;
                default: bytes[at] = (byte)"<>&\"'=/ 0aZ"[random.Next(11)]; break;
            }
        }
        return bytes.ToArray();
    }

    [Fact]
    public void Value_mutations_that_stay_well_formed_are_validated_or_translated_without_crash()
    {
        string text = Samples.Text(Samples.Pacs008);
        string[] values = ["", " ", "0", "-1", "1e5", "99999999999999999999", "1250.001", "ABC", "\u00e9\u00e9", new string('x', 200), "2026-13-45", "&lt;x&gt;"];
        var rx = new System.Text.RegularExpressions.Regex(">([^<]+)<");
        var matches = rx.Matches(text);
        foreach (System.Text.RegularExpressions.Match m in matches)
            foreach (string v in values)
            {
                string mutated = text[..m.Groups[1].Index] + v + text[(m.Groups[1].Index + m.Groups[1].Length)..];
                Assert.True(Survives(Encoding.UTF8.GetBytes(mutated)), $"{m.Groups[1].Value} -> {v}");
            }
    }
}

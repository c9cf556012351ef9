using Switch.Iso20022.Translation;
using Switch.Iso8583.Spec;

namespace Switch.Iso20022.Tests;

/// <summary>The 20 KB maximal pacs.008 (Maximal/make-cbpr-maximal.py): valid, and its round trip through ISO 8583 keeps what the mapping promises.</summary>
public sealed class MaximalMessageTests
{
    private static readonly byte[] Maximal = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Maximal", "pacs.008.001.08-cbpr-maximal.xml"));

    [Fact]
    public void The_maximal_pacs008_is_about_20_KB_and_valid()
    {
        Assert.InRange(Maximal.Length, 19_000, 22_000);
        var doc = Iso20022Reader.Default.Read(Maximal);
        Assert.Equal("DEUTDEFF500", PaymentView.Of(doc).CreditorAgent!.Bic);
    }

    [Fact]
    public void Its_round_trip_through_iso8583_keeps_amount_ids_agents_and_parties()
    {
        var spec = new SpecRegistry().Resolve("iso8583-1987-binary");
        var doc = Iso20022Reader.Default.Read(Maximal);
        var back = PaymentView.Of(Iso20022Reader.Default.Read(Iso8583Translator.ToIso20022(spec.Decode(spec.Encode(Iso8583Translator.ToIso8583(doc, spec))))));
        var original = PaymentView.Of(doc);
        Assert.Equal((original.Amount, original.Currency, original.EndToEndId, original.Uetr), (back.Amount, back.Currency, back.EndToEndId, back.Uetr));
        Assert.Equal((original.DebtorName, original.CreditorName, original.DebtorAccount, original.CreditorAccount), (back.DebtorName, back.CreditorName, back.DebtorAccount, back.CreditorAccount));
        Assert.Equal((original.CreditorAgent!.Bic, original.DebtorAgent!.Bic), (back.CreditorAgent!.Bic, back.DebtorAgent!.Bic));
    }
}

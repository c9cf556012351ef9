using System.Text.Json;
using Switch.Common.Configuration;

namespace Switch.Iso20022.Tests;

/// <summary>The typed view gives the fields the switch routes and answers on.</summary>
public sealed class PaymentViewTests
{
    [Fact]
    public void A_credit_transfer_gives_ids_amount_parties_and_agents()
    {
        var v = PaymentView.Of(Iso20022Reader.Default.Read(Samples.Bytes(Samples.Pacs008)));
        Assert.Equal("20260702021040078FIXTURE001", v.MessageId);
        Assert.Equal(new DateTimeOffset(2026, 7, 2, 10, 30, 0, TimeSpan.FromHours(-5)), v.Created);
        Assert.Equal(1, v.NumberOfTransactions);
        Assert.Equal(("INSTR-0001", "E2E-20260702-0001", "8a562c67-ca16-48ba-b074-65581be6f001"), (v.InstructionId, v.EndToEndId, v.Uetr));
        Assert.Equal((1250.00m, "USD"), (v.Amount, v.Currency));
        Assert.Equal(("Jane Example Debtor", "123456789012"), (v.DebtorName, v.DebtorAccount));
        Assert.Equal(("John Example Creditor", "987654321000"), (v.CreditorName, v.CreditorAccount));
        Assert.Equal("USABA/021040078", v.DebtorAgent!.ToString());
        Assert.Equal("091000019", v.CreditorAgent!.MemberId);
        Assert.Equal("021040078", v.InstructingAgent!.MemberId);
    }

    [Fact]
    public void A_rejection_gives_status_reason_and_the_original()
    {
        var v = PaymentView.Of(Iso20022Reader.Default.Read(Samples.Bytes(Samples.Pacs002Rjct)));
        Assert.Equal(("RJCT", "AC04"), (v.Status, v.ReasonCode));
        Assert.Equal(("20260702021040078FIXTURE001", "E2E-20260702-0001"), (v.OriginalMessageId, v.OriginalEndToEndId));
    }

    [Fact]
    public void A_return_gives_its_returned_amount_and_reason()
    {
        var v = PaymentView.Of(Iso20022Reader.Default.Read(Samples.Bytes(Samples.Pacs004)));
        Assert.Equal((125000m, "GBP", "AC04"), (v.Amount, v.Currency, v.ReasonCode));
        Assert.Equal("RVNTGB2L", v.InstructingAgent!.Bic);
    }
}

/// <summary>The reader's limits bind from the host's "iso20022" section and refuse out-of-range values by key.</summary>
public sealed class OptionsTests
{
    private static ConfigSection Section(string json) => new("switch.json", "iso20022", JsonDocument.Parse(json).RootElement.Clone());

    [Fact]
    public void Limits_bind_from_the_section()
    {
        var o = Iso20022Options.FromSection(Section("""{"documentBytesMax": 65536, "elementDepthMax": 32, "errorsMax": 10}"""));
        Assert.Equal((65536, 32, 10), (o.DocumentBytesMax, o.ElementDepthMax, o.ErrorsMax));
    }

    [Fact]
    public void An_out_of_range_limit_names_its_key()
    {
        var ex = Assert.Throws<ConfigException>(() => Iso20022Options.FromSection(Section("""{"elementDepthMax": 100000}""")));
        Assert.Contains("iso20022.elementDepthMax", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_key_is_refused()
    {
        var ex = Assert.Throws<ConfigException>(() => Iso20022Options.FromSection(Section("""{"depthMax": 10}""")));
        Assert.Contains("not a known key", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_lower_depth_limit_is_enforced()
    {
        // The FedNow pacs.008 nests eight levels deep (Document … ClrSysId/Cd).
        new Iso20022Reader(SchemaCatalog.BuiltIn, new Iso20022Options { ElementDepthMax = 8 }).Read(Samples.Bytes(Samples.Pacs008));
        var reader = new Iso20022Reader(SchemaCatalog.BuiltIn, new Iso20022Options { ElementDepthMax = 7 });
        var ex = Assert.Throws<Iso20022Exception>(() => reader.Read(Samples.Bytes(Samples.Pacs008)));
        Assert.Contains("deeper than the limit of 7", ex.Errors[^1].Message, StringComparison.Ordinal);
    }
}

using Switch.Iso20022.Translation;

namespace Switch.Iso20022.Tests;

/// <summary>The pacs.002 the switch writes itself: a transaction's status for a payment and a group rejection; both schema-valid.</summary>
public sealed class StatusReportTests
{
    [Theory]
    [InlineData("ACSC", null, null)]
    [InlineData("RJCT", "AM04", "insufficient funds")]
    [InlineData("RJCT", "CNOR", "no route for creditor agent USABA/091000019")]
    public void A_status_report_for_a_pacs008_carries_its_ids_amount_and_agents(string status, string? reason, string? info)
    {
        var original = Iso20022Reader.Default.Read(Samples.Bytes(Samples.Pacs008));
        byte[] xml = StatusReports.ForTransaction(original, status, reason, info, "AB1234", DateTimeOffset.UtcNow);
        var report = Iso20022Reader.Default.Read(xml);
        Assert.Equal(status, report.Value("TxInfAndSts/TxSts"));
        Assert.Equal(reason, report.Value("TxInfAndSts/StsRsnInf/Rsn/Cd"));
        Assert.Equal(info, report.Value("TxInfAndSts/StsRsnInf/AddtlInf"));
        Assert.Equal("E2E-20260702-0001", report.Value("TxInfAndSts/OrgnlEndToEndId"));
        Assert.Equal("pacs.008.001.08", report.Value("TxInfAndSts/OrgnlGrpInf/OrgnlMsgNmId"));
        Assert.Equal("091000019", report.Value("TxInfAndSts/InstgAgt/FinInstnId/ClrSysMmbId/MmbId"));
        Assert.Equal("021040078", report.Value("TxInfAndSts/InstdAgt/FinInstnId/ClrSysMmbId/MmbId"));
    }

    [Fact]
    public void A_group_rejection_cuts_its_text_to_105_characters()
    {
        var report = Iso20022Reader.Default.Read(StatusReports.GroupRejection(null, null, "FF01", new string('x', 300), DateTimeOffset.UtcNow));
        Assert.Equal(("RJCT", "FF01", "NOTPROVIDED"), (report.Value("OrgnlGrpInfAndSts/GrpSts"), report.Value("OrgnlGrpInfAndSts/StsRsnInf/Rsn/Cd"), report.Value("OrgnlGrpInfAndSts/OrgnlMsgId")));
        Assert.Equal(105, report.Value("OrgnlGrpInfAndSts/StsRsnInf/AddtlInf")!.Length);
    }
}

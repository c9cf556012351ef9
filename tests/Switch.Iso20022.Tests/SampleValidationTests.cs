using System.Text;

namespace Switch.Iso20022.Tests;

/// <summary>The public samples validate, name their message from the Document namespace, and expose their values.</summary>
public sealed class SampleValidationTests
{
    [Theory]
    [MemberData(nameof(Files))]
    public void Every_public_sample_validates(string file)
    {
        var errors = Iso20022Reader.Default.Validate(Samples.Bytes(file));
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    public static TheoryData<string> Files() => Samples.XmlFiles();

    [Theory]
    [MemberData(nameof(Files))]
    public void The_message_name_comes_from_the_document_namespace(string file)
    {
        var doc = Iso20022Reader.Default.Read(Samples.Bytes(file));
        Assert.StartsWith(doc.MessageName, file, StringComparison.Ordinal);
    }

    [Fact]
    public void A_credit_transfer_exposes_ids_amount_agents_and_parties()
    {
        var doc = Iso20022Reader.Default.Read(Samples.Bytes(Samples.Pacs008));
        Assert.Equal("FIToFICstmrCdtTrf", doc.RootElement);
        Assert.Equal("20260702021040078FIXTURE001", doc.Value("GrpHdr/MsgId"));
        Assert.Equal("E2E-20260702-0001", doc.Value("CdtTrfTxInf/PmtId/EndToEndId"));
        Assert.Equal("8a562c67-ca16-48ba-b074-65581be6f001", doc.Value("CdtTrfTxInf/PmtId/UETR"));
        Assert.Equal("1250.00", doc.Value("CdtTrfTxInf/IntrBkSttlmAmt"));
        Assert.Equal("USD", doc.Value("CdtTrfTxInf/IntrBkSttlmAmt/@Ccy"));
        Assert.Equal("021040078", doc.Value("CdtTrfTxInf/DbtrAgt/FinInstnId/ClrSysMmbId/MmbId"));
        Assert.Equal("John Example Creditor", doc.Value("CdtTrfTxInf/Cdtr/Nm"));
        var amount = doc.Field("CdtTrfTxInf/IntrBkSttlmAmt")!.Value;
        Assert.Equal(29, amount.Line);
        Assert.Equal(8, amount.Position);
    }

    [Fact]
    public void A_document_wrapped_with_its_header_in_an_envelope_is_read_with_both()
    {
        string doc = Samples.Text(Samples.Pacs008);
        string body = doc[(doc.IndexOf("?>", StringComparison.Ordinal) + 2)..];
        string envelope = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Envelope>" + TestMessages.AppHdr("pacs.008.001.09") + body + "</Envelope>";
        var read = Iso20022Reader.Default.Read(Encoding.UTF8.GetBytes(envelope));
        Assert.True(read.HasHeader);
        // The header names another version: the Document's namespace decides.
        Assert.Equal("pacs.008.001.08", read.MessageName);
        Assert.Equal("pacs.008.001.09", read.HeaderValue("MsgDefIdr"));
        Assert.Equal("BANKUS33XXX", read.HeaderValue("Fr/FIId/FinInstnId/BICFI"));
        Assert.Equal("E2E-20260702-0001", read.Value("CdtTrfTxInf/PmtId/EndToEndId"));
    }

    [Fact]
    public void A_schema_location_hint_is_ignored_and_never_fetched()
    {
        var doc = Iso20022Reader.Default.Read(TestMessages.Pacs008With("<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08\">",
            "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" " +
            "xsi:schemaLocation=\"urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08 http://127.0.0.1:9/pacs.008.001.08.xsd\">"));
        Assert.Equal("pacs.008.001.08", doc.MessageName);
    }

    [Fact]
    public void A_byte_order_mark_and_a_prefixed_namespace_are_accepted()
    {
        var bytes = new byte[] { 0xEF, 0xBB, 0xBF }.Concat(Samples.Bytes(Samples.Pacs004)).ToArray();
        Assert.Equal("pacs.004.001.09", Iso20022Reader.Default.Read(bytes).MessageName);
    }

    [Fact]
    public void An_envelope_may_nest_the_pair_in_transport_wrappers()
    {
        string doc = Samples.Text(Samples.Pacs008);
        string body = doc[(doc.IndexOf("?>", StringComparison.Ordinal) + 2)..];
        string wrapped = "<Envelope xmlns=\"urn:example:transport\"><Body>" + TestMessages.AppHdr("pacs.008.001.08") + body + "</Body></Envelope>";
        var read = Iso20022Reader.Default.Read(TestMessages.Utf8(wrapped));
        Assert.Equal("BIZ-0001", read.HeaderValue("BizMsgIdr"));
        Assert.Equal("E2E-20260702-0001", read.Value("CdtTrfTxInf/PmtId/EndToEndId"));
        var late = "<Envelope><Body>" + TestMessages.AppHdr("pacs.008.001.08") + body + "<Trailer/></Body></Envelope>";
        var ex = Assert.Throws<Iso20022Exception>(() => Iso20022Reader.Default.Read(TestMessages.Utf8(late)));
        Assert.Contains("element 'Trailer' is not expected in the envelope", ex.Errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_SWIFT_DataPDU_envelope_is_read_through_to_its_AppHdr_and_Document()
    {
        string doc = Samples.Text(Samples.Pacs008);
        string body = doc[(doc.IndexOf("?>", StringComparison.Ordinal) + 2)..];
        string pdu = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Saa:DataPDU xmlns:Saa=\"urn:swift:saa:xsd:saa.2.0\">\n<Saa:Revision>2.0.2</Saa:Revision>\n" +
            "<Saa:Header><Saa:Message><Saa:MessageIdentifier>pacs.008.001.08</Saa:MessageIdentifier></Saa:Message></Saa:Header>\n<Saa:Body>" +
            TestMessages.AppHdr("pacs.008.001.08") + body + "</Saa:Body>\n</Saa:DataPDU>";
        var read = Iso20022Reader.Default.Read(TestMessages.Utf8(pdu));
        Assert.Equal(("pacs.008.001.08", "BIZ-0001"), (read.MessageName, read.HeaderValue("BizMsgIdr")));
        string hidden = pdu.Replace("<Saa:Revision>2.0.2</Saa:Revision>", "<Saa:Revision><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pacs.008.001.99\"/></Saa:Revision>", StringComparison.Ordinal);
        var ex = Assert.Throws<Iso20022Exception>(() => Iso20022Reader.Default.Read(TestMessages.Utf8(hidden)));
        Assert.Equal(Iso20022ErrorKind.UnsupportedMessage, ex.Kind);
    }

    [Fact]
    public void Every_loaded_schema_is_listed_by_message_name()
    {
        var names = SchemaCatalog.BuiltIn.MessageNames;
        Assert.Equal(22, names.Count);
        Assert.Contains("pacs.008.001.08", names);
        Assert.Contains("cain.005.001.05", names);
        Assert.Contains("head.001.001.02", names);
    }
}

/// <summary>One reader serves many threads: the shared compiled schema set gives every caller the same answer.</summary>
public sealed class ConcurrencyTests
{
    [Fact]
    public void Parallel_reads_of_valid_and_invalid_documents_give_the_same_results()
    {
        var good = Samples.Bytes(Samples.Pacs008);
        var bad = TestMessages.Pacs008With("<SttlmMtd>CLRG</SttlmMtd>", "<SttlmMtd>FAST</SttlmMtd>");
        var outcomes = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var errors = Iso20022Reader.Default.Validate(i % 2 == 0 ? good : bad);
            outcomes.Add(i % 2 == 0 ? $"good:{errors.Count}" : $"bad:{errors.Count}:{errors[0]}");
        });
        Assert.Equal(2, outcomes.Distinct().Count());
        Assert.Contains("good:0", outcomes);
    }
}

namespace Switch.Iso20022.Tests;

/// <summary>Schema violations are reported as sentences naming the element, what was expected, and where.</summary>
public sealed class SchemaErrorTests
{
    private static List<Iso20022Error> Errors(byte[] frame)
    {
        var ex = Assert.Throws<Iso20022Exception>(() => Iso20022Reader.Default.Read(frame));
        Assert.Equal(Iso20022ErrorKind.SchemaInvalid, ex.Kind);
        return ex.Errors.ToList();
    }

    [Fact]
    public void An_unknown_element_is_an_error_naming_what_was_expected()
    {
        var errors = Errors(TestMessages.Pacs008With("<NbOfTxs>1</NbOfTxs>", "<NbOfTxs>1</NbOfTxs><Colour>blue</Colour>"));
        Assert.Equal("line 7, position 28: element 'Colour' is not expected inside 'GrpHdr'; expected here: 'CtrlSum', 'TtlIntrBkSttlmAmt', 'IntrBkSttlmDt' or 'SttlmInf'.", errors[0].ToString());
    }

    [Fact]
    public void A_misplaced_element_is_an_error()
    {
        var errors = Errors(TestMessages.Pacs008With("<MsgId>20260702021040078FIXTURE001</MsgId>\n      <CreDtTm>2026-07-02T10:30:00-05:00</CreDtTm>",
            "<CreDtTm>2026-07-02T10:30:00-05:00</CreDtTm>\n      <MsgId>20260702021040078FIXTURE001</MsgId>"));
        Assert.Contains("element 'CreDtTm' is not expected inside 'GrpHdr'; expected here: 'MsgId'.", errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_required_element_is_an_error_at_its_parent()
    {
        var errors = Errors(TestMessages.Pacs008With("<ChrgBr>SLEV</ChrgBr>", ""));
        Assert.Contains(errors, e => e.Message.Contains("is not expected inside 'CdtTrfTxInf'", StringComparison.Ordinal) && e.Message.Contains("'ChrgBr'", StringComparison.Ordinal));
    }

    [Fact]
    public void An_incomplete_element_names_what_it_lacks()
    {
        var errors = Errors(TestMessages.Pacs008With("<Nm>John Example Creditor</Nm>", "<Nm>John Example Creditor</Nm>").Length > 0
            ? TestMessages.Pacs008With("<SttlmMtd>CLRG</SttlmMtd>", "")
            : []);
        Assert.Contains(errors, e => e.Message.Contains("'SttlmMtd'", StringComparison.Ordinal));
    }

    [Fact]
    public void A_value_outside_its_type_names_the_type_and_its_rule()
    {
        var errors = Errors(TestMessages.Pacs008With("<SttlmMtd>CLRG</SttlmMtd>", "<SttlmMtd>FAST</SttlmMtd>"));
        Assert.Equal(9, errors[0].Line);
        Assert.Contains("the value 'FAST' of element 'SttlmMtd' is not valid; type SettlementMethod1Code requires one of 'INDA', 'INGA', 'COVE' or 'CLRG'.", errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_attribute_value_names_the_attribute()
    {
        var errors = Errors(TestMessages.Pacs008With("Ccy=\"USD\"", "Ccy=\"usd\""));
        Assert.Contains("attribute 'Ccy' of element 'IntrBkSttlmAmt' has the invalid value 'usd'", errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("[A-Z]{3,3}", errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_attribute_is_an_error()
    {
        var errors = Errors(TestMessages.Pacs008With("<NbOfTxs>1</NbOfTxs>", "<NbOfTxs colour=\"red\">1</NbOfTxs>"));
        Assert.Contains("attribute 'colour' is not allowed on element 'NbOfTxs'.", errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_attribute_is_an_error()
    {
        var errors = Errors(TestMessages.Pacs008With(" Ccy=\"USD\"", ""));
        Assert.Contains("element 'IntrBkSttlmAmt' lacks its required attribute 'Ccy'.", errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_error_of_a_document_is_reported()
    {
        var bytes = TestMessages.Pacs008With("<SttlmMtd>CLRG</SttlmMtd>", "<SttlmMtd>FAST</SttlmMtd>");
        string text = System.Text.Encoding.UTF8.GetString(bytes).Replace("<ChrgBr>SLEV</ChrgBr>", "<ChrgBr>NONE</ChrgBr>", StringComparison.Ordinal);
        var errors = Errors(TestMessages.Utf8(text));
        Assert.Equal(2, errors.Count);
        Assert.Equal(9, errors[0].Line);
        Assert.Equal(31, errors[1].Line);
    }

    [Fact]
    public void Text_where_only_elements_belong_is_an_error()
    {
        var errors = Errors(TestMessages.Pacs008With("<GrpHdr>", "<GrpHdr>stray text"));
        Assert.Contains("text is not allowed directly inside element 'GrpHdr'", errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_envelope_holding_anything_but_AppHdr_and_Document_is_an_error()
    {
        string doc = Samples.Text(Samples.Pacs008);
        string body = doc[(doc.IndexOf("?>", StringComparison.Ordinal) + 2)..];
        var errors = Errors(TestMessages.Utf8("<Envelope>" + TestMessages.AppHdr("pacs.008.001.08") + "<Extra/>" + body + "</Envelope>"));
        Assert.Contains("element 'Extra' is not expected in the envelope 'Envelope'", errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_invalid_header_is_an_error_too()
    {
        string doc = Samples.Text(Samples.Pacs008);
        string body = doc[(doc.IndexOf("?>", StringComparison.Ordinal) + 2)..];
        string header = TestMessages.AppHdr("pacs.008.001.08").Replace("<BizMsgIdr>BIZ-0001</BizMsgIdr>", "", StringComparison.Ordinal);
        var errors = Errors(TestMessages.Utf8("<Envelope>" + header + body + "</Envelope>"));
        Assert.Contains("'BizMsgIdr'", errors[0].Message, StringComparison.Ordinal);
    }
}

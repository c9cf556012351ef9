namespace Switch.Iso20022.Tests;

/// <summary>Schema-valid documents that break a business rule are refused with a positioned reason.</summary>
public sealed class BusinessRuleTests
{
    private static Iso20022Error Refused(byte[] frame)
    {
        var ex = Assert.Throws<Iso20022Exception>(() => Iso20022Reader.Default.Read(frame));
        Assert.Equal(Iso20022ErrorKind.BusinessRule, ex.Kind);
        return ex.Errors[0];
    }

    [Theory]
    [InlineData("USD", "1250.001", "USD allows 2")]
    [InlineData("JPY", "1250.5", "JPY allows none")]
    [InlineData("BHD", "1250.0001", "BHD allows 3")]
    [InlineData("EUR", "1250.123", "EUR allows 2")]
    public void Amount_decimals_follow_the_currency(string ccy, string amount, string reason)
    {
        var e = Refused(TestMessages.Pacs008With("<IntrBkSttlmAmt Ccy=\"USD\">1250.00</IntrBkSttlmAmt>", $"<IntrBkSttlmAmt Ccy=\"{ccy}\">{amount}</IntrBkSttlmAmt>"));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.Equal(29, e.Line);
    }

    [Theory]
    [InlineData("JPY", "1250")]
    [InlineData("BHD", "1250.125")]
    [InlineData("EUR", "0.5")]
    public void Amounts_within_the_minor_unit_pass(string ccy, string amount) =>
        Iso20022Reader.Default.Read(TestMessages.Pacs008With("<IntrBkSttlmAmt Ccy=\"USD\">1250.00</IntrBkSttlmAmt>", $"<IntrBkSttlmAmt Ccy=\"{ccy}\">{amount}</IntrBkSttlmAmt>"));

    [Fact]
    public void An_unknown_currency_is_refused()
    {
        var e = Refused(TestMessages.Pacs008With("Ccy=\"USD\"", "Ccy=\"ABC\""));
        Assert.Contains("'ABC' of 'IntrBkSttlmAmt' is not an ISO 4217 currency code", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_IBAN_with_wrong_check_digits_is_refused()
    {
        var e = Refused(TestMessages.Pacs008With("<Othr>\n            <Id>123456789012</Id>\n          </Othr>", "<IBAN>DE89370400440532013001</IBAN>"));
        Assert.Contains("IBAN 'DE89370400440532013001' has wrong check digits.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_valid_IBAN_passes() =>
        Iso20022Reader.Default.Read(TestMessages.Pacs008With("<Othr>\n            <Id>123456789012</Id>\n          </Othr>", "<IBAN>DE89370400440532013000</IBAN>"));

    [Fact]
    public void A_BIC_of_no_country_is_refused()
    {
        var e = Refused(TestMessages.Pacs008With("<InstgAgt>\n        <FinInstnId>", "<InstgAgt>\n        <FinInstnId><BICFI>BANKQQ2L</BICFI>"));
        Assert.Contains("BIC 'BANKQQ2L' names no country ('QQ').", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_blank_identifier_is_refused()
    {
        var e = Refused(TestMessages.Pacs008With("<EndToEndId>E2E-20260702-0001</EndToEndId>", "<EndToEndId> </EndToEndId>"));
        Assert.Contains("identifier 'EndToEndId' is blank", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_number_of_transactions_must_match()
    {
        var e = Refused(TestMessages.Pacs008With("<NbOfTxs>1</NbOfTxs>", "<NbOfTxs>2</NbOfTxs>"));
        Assert.Equal("line 7, position 8: NbOfTxs is 2 but the message holds 1 transaction.", e.ToString());
    }

    [Fact]
    public void The_control_sum_must_match()
    {
        var e = Refused(TestMessages.Pacs008With("<NbOfTxs>1</NbOfTxs>", "<NbOfTxs>1</NbOfTxs><CtrlSum>1250.01</CtrlSum>"));
        Assert.Contains("CtrlSum is 1250.01 but the amounts of the message add up to 1250.00.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_total_settlement_amount_must_match()
    {
        var e = Refused(TestMessages.Pacs008With("<NbOfTxs>1</NbOfTxs>", "<NbOfTxs>1</NbOfTxs><TtlIntrBkSttlmAmt Ccy=\"USD\">99.00</TtlIntrBkSttlmAmt>"));
        Assert.Contains("'TtlIntrBkSttlmAmt' is 99.00", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pain001_payment_information_block_checks_its_own_count()
    {
        string text = Samples.Text(Samples.Pain001);
        string mutated = text.Replace("<pain:PmtMtd>TRF</pain:PmtMtd>", "<pain:PmtMtd>TRF</pain:PmtMtd><pain:NbOfTxs>7</pain:NbOfTxs>", StringComparison.Ordinal);
        var ex = Assert.Throws<Iso20022Exception>(() => Iso20022Reader.Default.Read(TestMessages.Utf8(mutated)));
        Assert.Contains(ex.Errors, e => e.Message.StartsWith("NbOfTxs is 7 but payment information", StringComparison.Ordinal));
    }
}

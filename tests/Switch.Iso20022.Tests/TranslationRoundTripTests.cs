using Switch.Iso20022.Translation;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;

namespace Switch.Iso20022.Tests;

/// <summary>ISO 20022 → ISO 8583 → ISO 20022 keeps what the switch needs; ISO 8583 → ISO 20022 → ISO 8583 keeps every field.</summary>
public sealed class TranslationRoundTripTests
{
    private static readonly MessageSpec Spec = SpecCatalog.BuiltIn("iso8583-1987-binary");

    /// <summary>Through the wire: the 8583 message is encoded and decoded strictly between the two translations.</summary>
    private static IsoMessage OverTheWire(IsoMessage message) => Spec.Decode(Spec.Encode(message), DecodeMode.Materialize);

    private static Iso20022Document Back(Iso20022Document original, out IsoMessage iso8583)
    {
        iso8583 = OverTheWire(Iso8583Translator.ToIso8583(original, Spec));
        return Iso20022Reader.Default.Read(Iso8583Translator.ToIso20022(iso8583));
    }

    public static TheoryData<string, string> PaymentSamples() => new()
    {
        { Samples.Pacs008, "0200" }, { Samples.Pacs002Acsc, "0210" }, { Samples.Pacs002Rjct, "0210" }, { Samples.Camt056, "0420" }, { Samples.Pacs004, "0420" },
    };

    [Theory]
    [MemberData(nameof(PaymentSamples))]
    public void A_sample_comes_back_schema_valid_as_the_same_message(string file, string mti)
    {
        var original = Iso20022Reader.Default.Read(Samples.Bytes(file));
        var back = Back(original, out var iso8583);
        Assert.Equal(mti, iso8583.Mti);
        Assert.Equal(original.MessageName, back.MessageName);
    }

    /// <summary>The elements a round trip must keep, as far as the sample has them.</summary>
    private static readonly string[] KeptSuffixes =
    [
        "IntrBkSttlmAmt", "IntrBkSttlmAmt/@Ccy", "RtrdIntrBkSttlmAmt", "RtrdIntrBkSttlmAmt/@Ccy", "EndToEndId", "UETR", "OrgnlEndToEndId", "OrgnlUETR",
        "MsgId", "OrgnlMsgId", "OrgnlMsgNmId", "InstrId", "OrgnlInstrId", "TxId", "OrgnlTxId", "TxSts", "Rsn/Cd", "AddtlInf", "Assgnmt/Id", "CreDtTm",
        "BICFI", "ClrSysMmbId/ClrSysId/Cd", "ClrSysMmbId/MmbId", "Dbtr/Nm", "Cdtr/Nm", "Dbtr/Pty/Nm", "Cdtr/Pty/Nm", "Id/IBAN", "Othr/Id", "ChrgBr", "SttlmMtd",
    ];

    [Theory]
    [MemberData(nameof(PaymentSamples))]
    public void A_sample_keeps_amount_currency_ids_agents_debtor_and_creditor(string file, string mti)
    {
        _ = mti;
        var original = Iso20022Reader.Default.Read(Samples.Bytes(file));
        var back = Back(original, out _);
        var kept = original.Fields.Where(f => KeptSuffixes.Any(s => f.Path.EndsWith(s, StringComparison.Ordinal))
            // pacs.004's copy of the original transaction (OrgnlTxRef) is not translated (docs/iso20022-mapping.md).
            && !f.Path.StartsWith("TxInf/OrgnlTxRef/", StringComparison.Ordinal)
            && !f.Path.Contains("Orgtr/", StringComparison.Ordinal) && !f.Path.StartsWith("Case/", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(kept);
        foreach (var f in kept) Assert.True(back.Value(f.Path) == f.Value, $"{f.Path}: '{f.Value}' came back as '{back.Value(f.Path)}'");
    }

    [Fact]
    public void A_credit_transfer_maps_amount_currency_and_institutions_onto_their_fields()
    {
        var doc = Iso20022Reader.Default.Read(Samples.Bytes(Samples.Pacs008));
        var m = OverTheWire(Iso8583Translator.ToIso8583(doc, Spec));
        Assert.Equal("000000125000", m[4]);
        Assert.Equal("840", m[49]);
        Assert.Equal("0702153000", m[7]); // 10:30 at -05:00 is 15:30 UTC
        Assert.Equal("021040078", m[32]);
        Assert.Equal("091000019", m[100]);
        Assert.Equal("123456789012", m[102]);
        Assert.Equal("987654321000", m[103]);
        Assert.True(PrivateTlv.TryDecode(m[48]!, out var tlv));
        Assert.Contains(tlv, e => e.Key == "EE" && e.Value == "E2E-20260702-0001");
        Assert.Contains(tlv, e => e.Key == "UT" && e.Value == "8a562c67-ca16-48ba-b074-65581be6f001");
        Assert.Contains(tlv, e => e.Key == "MN" && e.Value == "pacs.008.001.08");
    }

    [Fact]
    public void A_rejection_maps_its_reason_onto_DE39_and_back()
    {
        var doc = Iso20022Reader.Default.Read(Samples.Bytes(Samples.Pacs002Rjct));
        var m = Iso8583Translator.ToIso8583(doc, Spec);
        Assert.Equal("14", m[39]); // AC04 closed account → invalid account number
        var accepted = Iso8583Translator.ToIso8583(Iso20022Reader.Default.Read(Samples.Bytes(Samples.Pacs002Acsc)), Spec);
        Assert.Equal("00", accepted[39]);
    }

    [Fact]
    public void A_group_status_report_answers_with_the_group_status()
    {
        string xml = "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pacs.002.001.10\"><FIToFIPmtStsRpt><GrpHdr><MsgId>G-1</MsgId><CreDtTm>2026-07-02T10:31:00Z</CreDtTm></GrpHdr>" +
            "<OrgnlGrpInfAndSts><OrgnlMsgId>M-1</OrgnlMsgId><OrgnlMsgNmId>pacs.008.001.08</OrgnlMsgNmId><GrpSts>RJCT</GrpSts><StsRsnInf><Rsn><Cd>AM04</Cd></Rsn></StsRsnInf></OrgnlGrpInfAndSts></FIToFIPmtStsRpt></Document>";
        var m = Iso8583Translator.ToIso8583(Iso20022Reader.Default.Read(TestMessages.Utf8(xml)), Spec);
        Assert.Equal("51", m[39]);
    }

    [Fact]
    public void A_pending_status_has_no_response_code()
    {
        var doc = Iso20022Reader.Default.Read(TestMessages.Utf8(Samples.Text(Samples.Pacs002Acsc).Replace("<TxSts>ACSC</TxSts>", "<TxSts>PDNG</TxSts>", StringComparison.Ordinal)));
        var ex = Assert.Throws<Iso20022TranslationException>(() => Iso8583Translator.ToIso8583(doc, Spec));
        Assert.Contains("PDNG", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_JPY_amount_has_no_minor_units_and_a_BHD_amount_three()
    {
        var jpy = Iso20022Reader.Default.Read(TestMessages.Pacs008With("<IntrBkSttlmAmt Ccy=\"USD\">1250.00</IntrBkSttlmAmt>", "<IntrBkSttlmAmt Ccy=\"JPY\">1250</IntrBkSttlmAmt>"));
        Assert.Equal("000000001250", Iso8583Translator.ToIso8583(jpy, Spec)[4]);
        var bhd = Iso20022Reader.Default.Read(TestMessages.Pacs008With("<IntrBkSttlmAmt Ccy=\"USD\">1250.00</IntrBkSttlmAmt>", "<IntrBkSttlmAmt Ccy=\"BHD\">1.250</IntrBkSttlmAmt>"));
        var m = Iso8583Translator.ToIso8583(bhd, Spec);
        Assert.Equal(("000000001250", "048"), (m[4], m[49]));
        var back = Iso20022Reader.Default.Read(Iso8583Translator.ToIso20022(m));
        Assert.Equal("1.250", back.Value("CdtTrfTxInf/IntrBkSttlmAmt"));
    }

    [Fact]
    public void Names_in_any_script_survive_the_ASCII_field()
    {
        var doc = Iso20022Reader.Default.Read(TestMessages.Pacs008With("Jane Example Debtor", "Zoë Ångström 李"));
        var back = Back(doc, out var m);
        Assert.DoesNotContain("ë", m[48]!, StringComparison.Ordinal);
        Assert.Equal("Zoë Ångström 李", back.Value("CdtTrfTxInf/Dbtr/Nm"));
    }

    [Fact]
    public void Carried_elements_that_overflow_DE48_continue_in_DE62_and_come_back()
    {
        string debtor = new('\u00e9', 140), creditor = new('x', 140);
        var doc = Iso20022Reader.Default.Read(TestMessages.Pacs008With("Jane Example Debtor", debtor)
            .Let(b => TestMessages.Utf8(TestMessages.Text(b).Replace("John Example Creditor", creditor, StringComparison.Ordinal))));
        var back = Back(doc, out var m);
        Assert.True(m.Has(62), "the TLV should continue in DE 62");
        Assert.True(m[48]!.Length <= 999);
        Assert.Equal(debtor, back.Value("CdtTrfTxInf/Dbtr/Nm"));
        Assert.Equal(creditor, back.Value("CdtTrfTxInf/Cdtr/Nm"));
    }

    [Fact]
    public void A_second_transaction_cannot_be_translated()
    {
        string text = Samples.Text(Samples.Pacs008);
        int start = text.IndexOf("<CdtTrfTxInf>", StringComparison.Ordinal);
        int end = text.IndexOf("</CdtTrfTxInf>", StringComparison.Ordinal) + "</CdtTrfTxInf>".Length;
        string two = text.Insert(end, text[start..end]).Replace("<NbOfTxs>1</NbOfTxs>", "<NbOfTxs>2</NbOfTxs>", StringComparison.Ordinal);
        var doc = Iso20022Reader.Default.Read(TestMessages.Utf8(two));
        var ex = Assert.Throws<Iso20022TranslationException>(() => Iso8583Translator.ToIso8583(doc, Spec));
        Assert.Contains("holds 2 transactions", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_message_without_a_mapping_is_refused_by_name()
    {
        var doc = Iso20022Reader.Default.Read(Samples.Bytes("pacs.028.001.03-fednow-status-request.xml"));
        var ex = Assert.Throws<Iso20022TranslationException>(() => Iso8583Translator.ToIso8583(doc, Spec));
        Assert.Contains("pacs.028.001.03 has no ISO 8583 mapping", ex.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string> Iso8583Messages() => new()
    {
        { "0200", """{"mti":"0200","fields":{"3":"400000","4":"000000012345","7":"0702153000","11":"000123","12":"103000","13":"0702","32":"021040078","37":"RRN000000123","41":"TERM0001","49":"978","100":"091000019","102":"DE89370400440532013000","103":"123456789012"}}""" },
        { "0210", """{"mti":"0210","fields":{"4":"000000012345","7":"0702153001","11":"000123","32":"021040078","37":"RRN000000123","38":"AB12CD","39":"51","49":"978","100":"091000019"}}""" },
        { "0420", """{"mti":"0420","fields":{"4":"000000012345","7":"0703100000","11":"000124","32":"021040078","37":"RRN000000123","39":"94","49":"840","90":"020000012307021530000000210400780000000000","100":"091000019"}}""" },
        { "0100", """{"mti":"0100","fields":{"2":"4111111111111111","3":"000000","4":"000000001000","7":"0702153000","11":"000777","12":"103000","13":"0702","14":"2812","18":"5411","22":"051","23":"001","32":"12345678","37":"123456789012","41":"TERM0001","42":"MERCHANT0000001","43":"SHOP 1 BERLIN                       DE","49":"978"}}""" },
        { "0110", """{"mti":"0110","fields":{"2":"4111111111111111","3":"000000","4":"000000001000","7":"0702153001","11":"000777","32":"12345678","37":"123456789012","38":"A1B2C3","39":"00","41":"TERM0001","42":"MERCHANT0000001","49":"978"}}""" },
        { "0400", """{"mti":"0400","fields":{"2":"4111111111111111","3":"000000","4":"000000001000","7":"0702153500","11":"000778","32":"12345678","37":"123456789012","41":"TERM0001","49":"392","90":"010000077707021530000001234567800000000000"}}""" },
        { "0410", """{"mti":"0410","fields":{"2":"4111111111111111","3":"000000","4":"000000001000","7":"0702153501","11":"000778","32":"12345678","37":"123456789012","39":"00","49":"392","90":"010000077707021530000001234567800000000000"}}""" },
    };

    [Theory]
    [MemberData(nameof(Iso8583Messages))]
    public void An_ISO8583_message_comes_back_with_every_field(string mti, string json)
    {
        var original = OverTheWire(IsoJson.Parse(json, Spec));
        var xml = Iso8583Translator.ToIso20022(original);
        var doc = Iso20022Reader.Default.Read(xml);
        var back = OverTheWire(Iso8583Translator.ToIso8583(doc, Spec));
        Assert.Equal(mti, back.Mti);
        Assert.Equal(IsoJson.ToJson(original), IsoJson.ToJson(back));
    }

    [Fact]
    public void An_authorisation_request_becomes_a_cain001_with_its_fields_in_place()
    {
        var m = IsoJson.Parse(Iso8583Messages().First(r => (string)r[0] == "0100")[1].ToString()!, Spec);
        var doc = Iso20022Reader.Default.Read(Iso8583Translator.ToIso20022(m));
        Assert.Equal("cain.001.001.05", doc.MessageName);
        Assert.Equal("4111111111111111", doc.Value("Card/PAN"));
        Assert.Equal("10.00", doc.Value("TxAmts/Amt"));
        Assert.Equal("978", doc.Value("TxAmts/Ccy"));
        Assert.Equal("000777", doc.Value("TxId/SysTracAudtNb"));
        Assert.Equal("2028-12", doc.Value("Card/XpryDt"));
        Assert.Equal("ICPY", doc.Value("Cntxt/CardDataNtryMd"));
        Assert.Equal("5411", doc.Value("Cntxt/MrchntCtgyCd"));
    }

    [Fact]
    public void A_financial_response_becomes_a_rejection_with_its_reason()
    {
        var m = IsoJson.Parse(Iso8583Messages().First(r => (string)r[0] == "0210")[1].ToString()!, Spec);
        var doc = Iso20022Reader.Default.Read(Iso8583Translator.ToIso20022(m));
        Assert.Equal("pacs.002.001.10", doc.MessageName);
        Assert.Equal("RJCT", doc.Value("TxInfAndSts/TxSts"));
        Assert.Equal("AM04", doc.Value("TxInfAndSts/StsRsnInf/Rsn/Cd"));
        Assert.Equal("123.45", doc.Value("TxInfAndSts/OrgnlTxRef/IntrBkSttlmAmt"));
        Assert.Equal("EUR", doc.Value("TxInfAndSts/OrgnlTxRef/IntrBkSttlmAmt/@Ccy"));
    }

    [Fact]
    public void A_reversal_advice_becomes_a_cancellation_naming_the_original()
    {
        var m = IsoJson.Parse(Iso8583Messages().First(r => (string)r[0] == "0420")[1].ToString()!, Spec);
        var doc = Iso20022Reader.Default.Read(Iso8583Translator.ToIso20022(m));
        Assert.Equal("camt.056.001.08", doc.MessageName);
        Assert.Equal("ISO8583-0702153000-000123", doc.Value("Undrlyg/TxInf/OrgnlGrpInf/OrgnlMsgId"));
        Assert.Equal("000123", doc.Value("Undrlyg/TxInf/OrgnlInstrId"));
        Assert.Equal("DUPL", doc.Value("Undrlyg/TxInf/CxlRsnInf/Rsn/Cd"));
    }

    [Fact]
    public void An_MTI_without_a_mapping_is_refused()
    {
        var m = IsoJson.Parse("""{"mti":"0800","fields":{"11":"000001","70":"301"}}""", Spec);
        var ex = Assert.Throws<Iso20022TranslationException>(() => Iso8583Translator.ToIso20022(m));
        Assert.Contains("MTI 0800 has no ISO 20022 mapping", ex.Message, StringComparison.Ordinal);
    }
}

/// <summary>The DE 48 TLV of each mapping: one tag per element, no tag twice.</summary>
public sealed class PrivateTlvTests
{
    [Fact]
    public void No_mapping_uses_a_tag_twice()
    {
        foreach (var mapping in Iso8583Translator.Mappings)
        {
            var tags = mapping.Carried.Select(c => c.Tag).Append("MN").ToList();
            Assert.True(tags.Count == tags.Distinct().Count(), $"{mapping.Type}: {string.Join(",", tags.GroupBy(t => t).Where(g => g.Count() > 1).Select(g => g.Key))}");
        }
    }

    [Fact]
    public void Values_round_trip_with_percent_encoding()
    {
        string encoded = PrivateTlv.Encode([new("EE", "E2E-1"), new("DN", "Zoë 100%")]);
        Assert.Equal("EE005E2E-1DN015Zo%C3%AB 100%25", encoded);
        Assert.True(PrivateTlv.TryDecode(encoded, out var entries));
        Assert.Equal("Zoë 100%", entries[1].Value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("EE9")]
    [InlineData("EE010short")]
    [InlineData("e e005abcde")]
    [InlineData("EE003%ZZ")]
    [InlineData("EE003%FF")]
    public void Text_that_is_not_the_TLV_is_not_read_as_it(string text) => Assert.False(PrivateTlv.TryDecode(text, out _));
}

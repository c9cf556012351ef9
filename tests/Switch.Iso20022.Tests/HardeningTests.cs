using System.Text;

namespace Switch.Iso20022.Tests;

/// <summary>Hostile and broken frames are refused with a positioned sentence; none reaches a file or the network or crashes.</summary>
public sealed class HardeningTests
{
    private static Iso20022Exception Refused(byte[] frame, Iso20022Reader? reader = null)
    {
        var ex = Assert.Throws<Iso20022Exception>(() => (reader ?? Iso20022Reader.Default).Read(frame));
        Assert.NotEmpty(ex.Errors);
        foreach (var e in ex.Errors)
        {
            Assert.True(e.Line >= 1 && e.Position >= 1, e.ToString());
            Assert.EndsWith(".", e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("Xml_", e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("Sch_", e.Message, StringComparison.Ordinal);
        }
        return ex;
    }

    [Fact]
    public void XXE_an_external_entity_is_refused_and_never_read()
    {
        string secret = Path.GetTempFileName();
        File.WriteAllText(secret, "SECRET-CONTENT");
        try
        {
            string xml = $"<?xml version=\"1.0\"?><!DOCTYPE Document [<!ENTITY xxe SYSTEM \"file://{secret}\">]>" +
                "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08\"><FIToFICstmrCdtTrf><GrpHdr><MsgId>&xxe;</MsgId></GrpHdr></FIToFICstmrCdtTrf></Document>";
            var ex = Refused(TestMessages.Utf8(xml));
            Assert.Equal(Iso20022ErrorKind.Malformed, ex.Kind);
            Assert.Contains("document type declaration", ex.Errors[0].Message, StringComparison.Ordinal);
            Assert.DoesNotContain("SECRET", ex.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(secret);
        }
    }

    [Fact]
    public void Billion_laughs_is_refused_before_any_expansion()
    {
        var sb = new StringBuilder("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">");
        for (int i = 1; i < 10; i++) sb.Append($"<!ENTITY lol{i} \"{string.Concat(Enumerable.Repeat($"&lol{(i == 1 ? "" : (i - 1).ToString())};", 10))}\">");
        sb.Append("]><Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08\">&lol9;</Document>");
        var ex = Refused(TestMessages.Utf8(sb.ToString()));
        Assert.Equal(Iso20022ErrorKind.Malformed, ex.Kind);
        Assert.Equal(1, ex.Errors[0].Line);
    }

    [Fact]
    public void An_undeclared_entity_reference_is_refused()
    {
        var ex = Refused(TestMessages.Pacs008With("<MsgId>20260702021040078FIXTURE001</MsgId>", "<MsgId>&ext;</MsgId>"));
        Assert.Contains("entity reference is not allowed", ex.Errors[0].Message, StringComparison.Ordinal);
        Assert.Equal(5, ex.Errors[0].Line);
    }

    [Fact]
    public void XInclude_is_not_processed_but_refused_as_an_unknown_element()
    {
        var ex = Refused(TestMessages.Pacs008With("<MsgId>20260702021040078FIXTURE001</MsgId>",
            "<xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" href=\"file:///etc/passwd\"/><MsgId>X</MsgId>"));
        Assert.Equal(Iso20022ErrorKind.SchemaInvalid, ex.Kind);
        Assert.Contains("element 'include' of namespace 'http://www.w3.org/2001/XInclude' is not expected inside 'GrpHdr'", ex.Errors[0].Message, StringComparison.Ordinal);
        Assert.Equal(5, ex.Errors[0].Line);
    }

    [Fact]
    public void An_oversized_frame_is_refused_before_parsing()
    {
        var reader = new Iso20022Reader(SchemaCatalog.BuiltIn, new Iso20022Options { DocumentBytesMax = 2048 });
        var ex = Refused(Samples.Bytes(Samples.Pacs008), reader);
        Assert.Equal(Iso20022ErrorKind.Malformed, ex.Kind);
        Assert.Contains("more than the limit of 2048 bytes", ex.Errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_default_reader_refuses_a_frame_over_one_mebibyte()
    {
        var frame = new byte[1024 * 1024 + 1];
        frame.AsSpan().Fill((byte)' ');
        var ex = Refused(frame);
        Assert.Contains("1048577 bytes", ex.Errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_refused_by_the_reader_itself()
    {
        string deep = string.Concat(Enumerable.Repeat("<a>", 100)) + string.Concat(Enumerable.Repeat("</a>", 100));
        var ex = Refused(TestMessages.Pacs008With("<NbOfTxs>1</NbOfTxs>", "<NbOfTxs>1</NbOfTxs>" + deep));
        Assert.Equal(Iso20022ErrorKind.Malformed, ex.Kind);
        Assert.Contains("deeper than the limit of 64", ex.Errors[^1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_namespace_is_an_unsupported_message()
    {
        var ex = Refused(TestMessages.Pacs008With("pacs.008.001.08", "pacs.008.001.99"));
        Assert.Equal(Iso20022ErrorKind.UnsupportedMessage, ex.Kind);
        Assert.Contains("unsupported message", ex.Errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("pacs.008.001.99", ex.Errors[0].Message, StringComparison.Ordinal);
        Assert.Equal((2, 2), (ex.Errors[0].Line, ex.Errors[0].Position));
    }

    [Fact]
    public void A_document_without_namespace_is_an_unsupported_message()
    {
        var ex = Refused(TestMessages.Utf8("<Document><FIToFICstmrCdtTrf/></Document>"));
        Assert.Equal(Iso20022ErrorKind.UnsupportedMessage, ex.Kind);
        Assert.Contains("no namespace", ex.Errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_non_UTF8_document_is_refused_with_the_byte_offset()
    {
        var bytes = TestMessages.Pacs008With("Jane Example Debtor", "Jane M\u00fcller");
        int at = Array.IndexOf(bytes, (byte)0xC3);
        bytes[at] = 0xFC; // the Latin-1 byte for ü, invalid as UTF-8
        bytes = bytes.Where((b, i) => i != at + 1).ToArray();
        var ex = Refused(bytes);
        Assert.Equal(Iso20022ErrorKind.Malformed, ex.Kind);
        Assert.Contains($"not valid UTF-8 (byte offset {at})", ex.Errors[0].Message, StringComparison.Ordinal);
        Assert.Equal(53, ex.Errors[0].Line);
    }

    [Fact]
    public void A_declared_encoding_other_than_UTF8_is_refused()
    {
        var ex = Refused(TestMessages.Pacs008With("encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\""));
        Assert.Contains("'ISO-8859-1'", ex.Errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_UTF16_document_is_refused()
    {
        var bytes = Encoding.Unicode.GetPreamble().Concat(Encoding.Unicode.GetBytes(Samples.Text(Samples.Pacs008))).ToArray();
        var ex = Refused(bytes);
        Assert.Contains("not valid UTF-8", ex.Errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_document_is_refused_as_truncated()
    {
        var bytes = Samples.Bytes(Samples.Pacs008);
        var ex = Refused(bytes[..(bytes.Length / 2)]);
        Assert.Equal(Iso20022ErrorKind.Malformed, ex.Kind);
        Assert.Contains("truncated", ex.Errors[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_frame_is_refused()
    {
        var ex = Refused([]);
        Assert.Contains("empty", ex.Errors[0].Message, StringComparison.Ordinal);
    }
}

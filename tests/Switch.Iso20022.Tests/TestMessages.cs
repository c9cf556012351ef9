namespace Switch.Iso20022.Tests;

/// <summary>Hand-made message parts for the tests.</summary>
internal static class TestMessages
{
    public static string AppHdr(string msgDefIdr) =>
        "<AppHdr xmlns=\"urn:iso:std:iso:20022:tech:xsd:head.001.001.02\">" +
        "<Fr><FIId><FinInstnId><BICFI>BANKUS33XXX</BICFI></FinInstnId></FIId></Fr>" +
        "<To><FIId><FinInstnId><BICFI>BANKGB2LXXX</BICFI></FinInstnId></FIId></To>" +
        "<BizMsgIdr>BIZ-0001</BizMsgIdr><MsgDefIdr>" + msgDefIdr + "</MsgDefIdr><CreDt>2026-07-02T15:30:00Z</CreDt></AppHdr>";

    /// <summary>The FedNow pacs.008 sample with one substring replaced (the test's mutation).</summary>
    public static byte[] Pacs008With(string from, string to)
    {
        string text = Samples.Text(Samples.Pacs008);
        Assert.Contains(from, text, StringComparison.Ordinal);
        return System.Text.Encoding.UTF8.GetBytes(text.Replace(from, to, StringComparison.Ordinal));
    }

    public static byte[] Utf8(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    public static string Text(byte[] bytes) => System.Text.Encoding.UTF8.GetString(bytes);

    /// <summary>Applies a function to a value (keeps a chain of edits on one line).</summary>
    public static TOut Let<TIn, TOut>(this TIn value, Func<TIn, TOut> f) => f(value);
}

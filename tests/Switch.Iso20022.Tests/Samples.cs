namespace Switch.Iso20022.Tests;

/// <summary>The public samples copied into Samples/ (see Samples/SOURCES.md).</summary>
internal static class Samples
{
    public static string Path(string file) => System.IO.Path.Combine(AppContext.BaseDirectory, "Samples", file);

    public static byte[] Bytes(string file) => File.ReadAllBytes(Path(file));

    public static string Text(string file) => File.ReadAllText(Path(file));

    public static IEnumerable<string> AllXml() =>
        Directory.GetFiles(System.IO.Path.Combine(AppContext.BaseDirectory, "Samples"), "*.xml").Select(System.IO.Path.GetFileName).Order()!;

    public static TheoryData<string> XmlFiles()
    {
        var data = new TheoryData<string>();
        foreach (string f in AllXml()) data.Add(f);
        return data;
    }

    public const string Pacs008 = "pacs.008.001.08-fednow-credit-transfer.xml";
    public const string Pacs002Rjct = "pacs.002.001.10-fednow-rjct.xml";
    public const string Pacs002Acsc = "pacs.002.001.10-fednow-acsc.xml";
    public const string Camt056 = "camt.056.001.08-fednow-cancellation.xml";
    public const string Pacs004 = "pacs.004.001.09-cbpr-return.xml";
    public const string Pain001 = "pain.001.001.09-cbpr-initiation.xml";
}

using System.Text;
using Switch.Iso8583.Spec;

namespace Switch.Iso8583.Tests;

/// <summary>The bundled sample messages and test packagers, and small byte helpers for hand-built expectations.</summary>
internal static class TestData
{
    public static string Dir(string name) => Path.Combine(AppContext.BaseDirectory, name);

    /// <summary>jPOS iso87binary 0200 (222 bytes).</summary>
    public static byte[] BinarySample => Sample("iso87binary-0200.hex");

    /// <summary>jPOS iso87ascii 0200 (364 bytes).</summary>
    public static byte[] AsciiSample => Sample("iso87ascii-0200.hex");

    public static byte[] Sample(string file) => Convert.FromHexString(File.ReadAllText(Path.Combine(Dir("Samples"), file)).Trim());

    public static string PackagerPath(string file) => Path.Combine(Dir("Packagers"), file);

    public static MessageSpec Packager(string file) => JposPackagerImporter.LoadFile(PackagerPath(file));

    /// <summary>Latin-1 bytes of a string (the ASCII family's wire form).</summary>
    public static byte[] A(string s) => Encoding.Latin1.GetBytes(s);

    /// <summary>Bytes from hex with spaces for reading.</summary>
    public static byte[] H(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    public static byte[] Cat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    /// <summary>The twenty field values of both samples (shared/testdata/iso8583/README.md).</summary>
    public static readonly IReadOnlyDictionary<int, string> SampleFields = new Dictionary<int, string>
    {
        [2] = "4761739001010119",
        [3] = "000000",
        [4] = "000000012345",
        [7] = "0822143015",
        [11] = "123456",
        [12] = "143015",
        [13] = "0822",
        [14] = "2812",
        [18] = "5411",
        [22] = "051",
        [25] = "00",
        [35] = "4761739001010119=28122011234567890",
        [37] = "123456789012",
        [41] = "TERM0001",
        [42] = "MERCHANT0000001",
        [43] = "ACME STORE 42 SPRINGFIELD       IL US".PadRight(40),
        [49] = "840",
        [52] = "1A2B3C4D5E6F7081",
        [55] = SampleEmv,
        [64] = "0102030405060708",
    };

    /// <summary>DE 55 of both samples: 60 bytes of EMV TLV, as hex.</summary>
    public const string SampleEmv =
        "9F2608A1B2C3D4E5F60718" + "9F270180" + "82021980" + "9F360200429F370412345678" + "95050000008000"
        + "9A03260822" + "9C0100" + "5F2A020840" + "9F0206000000012345";

    /// <summary>The JSON both samples decode to (identical: the same message in two dialects).</summary>
    public static string SampleJson =>
        "{\"mti\":\"0200\",\"fields\":{" + string.Join(",", SampleFields.OrderBy(kv => kv.Key).Select(kv => $"\"{kv.Key}\":\"{kv.Value}\"")) + "}}";
}

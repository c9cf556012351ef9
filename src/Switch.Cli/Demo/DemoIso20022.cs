using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Switch.Cli.Demo;

/// <summary>What the switch answered to the demo's pacs.008.</summary>
internal sealed record TransferResult(string MessageId, int Status, string? Document, string? TransactionStatus, double ElapsedMs);

/// <summary>
/// The demo's pacs.008 (specs/demo/demo-pacs.008.xml, embedded) with fresh ids per run, posted to the switch's ISO 20022
/// HTTP endpoint; the answer's message name and TxSts are read back.
/// </summary>
internal static partial class DemoIso20022
{
    private const string TemplateResource = "Switch.Cli.Demo.demo-pacs.008.xml";

    /// <summary>Longest the answer may take (the issuer leg's own timeout comes first).</summary>
    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Most bytes of the answer read.</summary>
    private const int AnswerBytesMax = 1024 * 1024;

    /// <summary>Posts one pacs.008 of <paramref name="amountMinor"/> cents (USD) and reads the pacs.002.</summary>
    public static async Task<TransferResult> SendAsync(int httpPort, long amountMinor, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        // Ids with separators: no long digit runs in the narrative, and new ones every run (no duplicate message id).
        string stamp = now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        string messageId = $"DEMO-{stamp}-MSG";
        string document = Template()
            .Replace("{{MsgId}}", messageId, StringComparison.Ordinal)
            .Replace("{{CreDtTm}}", now.ToString("yyyy-MM-ddTHH:mm:ss+00:00", CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{{InstrId}}", $"DEMO-{stamp}-INS", StringComparison.Ordinal)
            .Replace("{{EndToEndId}}", $"DEMO-{stamp}-E2E", StringComparison.Ordinal)
            .Replace("{{UETR}}", Guid.NewGuid().ToString("D"), StringComparison.Ordinal)
            .Replace("{{Amount}}", (amountMinor / 100m).ToString("0.00", CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{{SttlmDt}}", now.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), StringComparison.Ordinal);
        using var http = new HttpClient { Timeout = AnswerTimeout, MaxResponseContentBufferSize = AnswerBytesMax };
        using var content = new StringContent(document, Encoding.UTF8, "application/xml");
        var started = Stopwatch.GetTimestamp();
        using var response = await http.PostAsync(new Uri($"http://127.0.0.1:{httpPort}/iso20022"), content, ct).ConfigureAwait(false);
        string answer = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        double elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        string? name = Namespace().Match(answer) is { Success: true } ns ? ns.Groups[1].Value : null;
        string? status = TxSts().Match(answer) is { Success: true } st ? st.Groups[1].Value : null;
        return new TransferResult(messageId, (int)response.StatusCode, name, status, elapsed);
    }

    private static string Template()
    {
        using var stream = typeof(DemoIso20022).Assembly.GetManifestResourceStream(TemplateResource)
            ?? throw new InvalidOperationException($"the demo's pacs.008 template ({TemplateResource}) is not embedded");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    [GeneratedRegex(@"urn:iso:std:iso:20022:tech:xsd:([a-z]{4}\.[0-9]{3}\.[0-9]{3}\.[0-9]{2})")]
    private static partial Regex Namespace();

    [GeneratedRegex(@"<(?:[A-Za-z0-9]+:)?TxSts>([A-Z]{4})</")]
    private static partial Regex TxSts();
}

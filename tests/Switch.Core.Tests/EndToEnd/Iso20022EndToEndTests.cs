using System.Net;
using System.Text;

namespace Switch.Core.Tests.EndToEnd;

/// <summary>
/// ISO 20022 through the running switch (issue 19): a pacs.008 posted to `switch run`'s HTTP endpoint is routed by its
/// creditor agent's clearing-system member id to the issuer-sim connector, translated to an 0200 for the issuer
/// simulator, and answered with a pacs.002 built from the 0210.
/// </summary>
[Trait("Category", "EndToEnd")]
public sealed class Iso20022EndToEndTests(SwitchProcess sw) : IClassFixture<SwitchProcess>
{
    // Copied from tests/Switch.Iso20022.Tests/Samples (public FedNow sample; its creditor agent's member id).
    private const string MemberId = "091000019";
    private static readonly byte[] Pacs008 = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Samples", "pacs.008.001.08-fednow-credit-transfer.xml"));

    [Fact]
    public async Task A_pacs008_posted_to_the_running_switch_reaches_the_issuer_simulator_as_0200_and_comes_back_as_pacs002()
    {
        var added = CliRunner.Run("routes", "add", "--name", "e2e-fednow", "--member-id", MemberId, "--destination", "issuer-sim",
            "--operator", "e2e", "--config", sw.ConfigPath);
        Assert.True(added.ExitCode == 0, added.ToString());
        await Task.Delay(1_500); // the route reaches the running switch by NOTIFY within a second
        int before = sw.Issuer.Log.OfMti("0200").Count(e => e.AmountMinor == 125_000);

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var content = new ByteArrayContent(Pacs008);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/xml");
        using var response = await http.PostAsync(new Uri($"http://127.0.0.1:{sw.Iso20022HttpPort}/iso20022"), content);
        string answer = Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync());

        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {answer}");
        Assert.Contains("urn:iso:std:iso:20022:tech:xsd:pacs.002", answer, StringComparison.Ordinal);
        Assert.Contains("<TxSts>", answer, StringComparison.Ordinal);
        var received = await sw.Issuer.Log.WaitForAsync(e => e.Mti == "0200" && e.AmountMinor == 125_000, before + 1, TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.Equal(before + 1, received.Count);
    }

    [Fact]
    public async Task A_pacs008_sent_over_tcp_to_the_running_switch_is_answered_with_a_pacs002_over_the_same_connection()
    {
        var added = CliRunner.Run("routes", "add", "--name", "e2e-fednow-tcp", "--member-id", MemberId, "--destination", "issuer-sim",
            "--priority", "5", "--operator", "e2e", "--config", sw.ConfigPath);
        Assert.True(added.ExitCode == 0, added.ToString());
        await Task.Delay(1_500);
        int before = sw.Issuer.Log.OfMti("0200").Count(e => e.AmountMinor == 125_000);

        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, sw.Iso20022TcpPort);
        var stream = client.GetStream();
        stream.ReadTimeout = 30_000;
        byte[] header = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(header, Pacs008.Length);
        await stream.WriteAsync(header);
        await stream.WriteAsync(Pacs008);
        await stream.ReadExactlyAsync(header);
        int length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(header);
        Assert.InRange(length, 1, 1 << 20);
        byte[] body = new byte[length];
        await stream.ReadExactlyAsync(body);
        string answer = Encoding.UTF8.GetString(body);

        Assert.Contains("urn:iso:std:iso:20022:tech:xsd:pacs.002", answer, StringComparison.Ordinal);
        Assert.Contains("<TxSts>", answer, StringComparison.Ordinal);
        var received = await sw.Issuer.Log.WaitForAsync(e => e.Mti == "0200" && e.AmountMinor == 125_000, before + 1, TimeSpan.FromSeconds(10), CancellationToken.None);
        Assert.Equal(before + 1, received.Count);
    }

    [Fact]
    public async Task An_invalid_document_posted_to_the_running_switch_is_refused_with_400_and_a_positioned_error()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var content = new StringContent("<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08\"><FIToFICstmrCdtTrf>", Encoding.UTF8, "application/xml");
        using var response = await http.PostAsync(new Uri($"http://127.0.0.1:{sw.Iso20022HttpPort}/iso20022"), content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("line 1", await response.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;

namespace Switch.Cli.Tests;

/// <summary>
/// Errors the runtime words (XML, JSON, TLS) reach the operator as sentences, not as resource keys such as
/// Xml_UndeclaredEntity or net_auth_SSPI (the executable keeps the runtime's messages), and never as an "internal error".
/// </summary>
public sealed partial class ReadableErrorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("switch-words-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A runtime resource key: words joined by '_' (Xml_UndeclaredEntity, net_auth_SSPI, Serialization_…).</summary>
    [GeneratedRegex(@"\b(?:[A-Z][a-z]+_[A-Z][A-Za-z]+|net_[a-z_]+[A-Za-z]*|[A-Z][a-z]+[A-Z][a-z]+[A-Z][A-Za-z]*Utf8)\b")]
    private static partial Regex ResourceKey();

    private static void AssertSentence(string text)
    {
        Assert.DoesNotMatch(ResourceKey(), text);
        Assert.DoesNotContain("internal error", text, StringComparison.Ordinal);
        Assert.Contains(' ', text);
    }

    [Fact]
    public void An_undeclared_entity_in_a_jpos_packager_is_told_in_words()
    {
        string path = Path.Combine(_dir, "entity.xml");
        File.WriteAllText(path, "<?xml version=\"1.0\"?>\n<!DOCTYPE isopackager>\n<isopackager>&nosuch;</isopackager>\n");
        string line = CliRunner.AssertOneLineError(CliRunner.Run("iso8583", "describe", "--spec", path));
        AssertSentence(line);
        Assert.Contains("undeclared entity", line, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(path, line, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_utf8_in_a_json_spec_is_a_user_error_in_words()
    {
        string path = Path.Combine(_dir, "spec.json");
        File.WriteAllBytes(path, [.. "{\"name\":\""u8, 0xFF, .. "\"}"u8]);
        string line = CliRunner.AssertOneLineError(CliRunner.Run("iso8583", "describe", "--spec", path));
        AssertSentence(line);
        Assert.Contains("UTF-8", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_utf8_on_stdin_names_the_byte_offset()
    {
        using var process = Process.Start(CliRunner.StartInfo(["iso8583", "encode", "--spec", "iso8583-1987-binary"]))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.BaseStream.WriteAsync(new byte[] { (byte)'{', (byte)'"', 0xC3, (byte)'"', (byte)'}' });
        process.StandardInput.Close();
        using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(exit.Token);
        string line = CliRunner.AssertOneLineError(new CliRunner.Result(process.ExitCode, await stdout, await stderr));
        Assert.Equal("error: stdin: invalid UTF-8 at byte offset 2", line);
    }

    [Fact]
    public void Json_syntax_errors_on_stdin_are_told_in_words()
    {
        string line = CliRunner.AssertOneLineError(CliRunner.RunWithStdin("{\"mti\": }", "iso8583", "encode", "--spec", "iso8583-1987-binary"));
        AssertSentence(line);
    }

    [Fact]
    public void A_configuration_error_is_told_in_words()
    {
        string path = Path.Combine(_dir, "bad.json");
        File.WriteAllText(path, "{ \"network\": [ 1, ] ");
        string line = CliRunner.AssertOneLineError(CliRunner.Run("run", "--config", path, "--check"));
        AssertSentence(line);
    }

    [Fact]
    public async Task A_failed_tls_handshake_is_logged_in_words()
    {
        string pfx = Path.Combine(_dir, "server.pfx");
        using (var key = RSA.Create(2048))
        {
            var request = new CertificateRequest("CN=switch-test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            await File.WriteAllBytesAsync(pfx, cert.Export(X509ContentType.Pkcs12));
        }
        int port = RunCommandTests.FreePort();
        string config = Path.Combine(_dir, "tls.json");
        await File.WriteAllTextAsync(config, $$"""
            { "network": { "listeners": [ { "name": "tls", "bind": "127.0.0.1", "port": {{port}}, "spec": "iso8583-1987-binary",
              "framing": { "length": "binary2", "header": "none" }, "tls": { "enabled": true, "certificatePath": "{{pfx}}" } } ] } }
            """);
        using var process = Process.Start(CliRunner.StartInfo(["run", "--config", config]))!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            using var socket = await RunCommandTests.ConnectAsync(port);
            // Not a TLS ClientHello: the handshake fails and the listener logs why.
            await socket.SendAsync("this is not TLS at all\r\n"u8.ToArray(), SocketFlags.None);
            await WaitForAsync(output, "TLS handshake");
        }
        finally
        {
            RunCommandTests.Interrupt(process);
        }
        using var exit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await process.WaitForExitAsync(exit.Token);
        string log;
        lock (output) log = output.ToString();
        string failure = log.Split('\n').Single(l => l.Contains("TLS handshake", StringComparison.Ordinal));
        Assert.Contains("failed: ", failure, StringComparison.Ordinal);
        AssertSentence(failure[(failure.IndexOf("failed: ", StringComparison.Ordinal) + 8)..]);
        Assert.Equal("", await stderr);
    }

    private static async Task WaitForAsync(StringBuilder output, string text)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            lock (output)
            {
                if (output.ToString().Contains(text, StringComparison.Ordinal)) return;
            }
            await Task.Delay(50);
        }
        lock (output) Assert.Fail($"'{text}' was not logged within 20 s: {output}");
    }
}

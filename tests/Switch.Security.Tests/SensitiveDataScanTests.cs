using System.Text.RegularExpressions;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Switch.Security.Keys;
using Switch.Security.Pin;
using Switch.Simulators.Hsm;

namespace Switch.Security.Tests;

/// <summary>Log output of the suite never carries a clear PIN, a clear key, a PIN block or a full PAN.</summary>
public sealed partial class SensitiveDataScanTests
{
    [Fact]
    public async Task Logs_and_stderr_of_every_back_end_carry_no_PIN_key_or_full_PAN()
    {
        var sink = new MemorySink();
        Log.Logger = new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(sink).CreateLogger();
        try
        {
            // Exercise every operation, good and bad, on the software and payShield back ends with verbose logging.
            await using var f = PayShieldFixture.Start();
            await using var soft = SoftwareModule.Create();
            foreach (CryptoVector v in VectorFile.Vectors)
            {
                await RunQuietlyAsync(soft, v.Op, v.In);
                await RunQuietlyAsync(f.Module, v.Op, v.In);
                var tampered = v.In.ToDictionary(kv => kv.Key, kv => kv.Key == "block" ? "00" + kv.Value[2..] : kv.Value);
                await RunQuietlyAsync(f.Module, v.Op, tampered);
            }
            // Bad input on the command line (stderr is log output).
            foreach (CryptoVector v in VectorFile.Vectors.Take(10))
            {
                var bad = v.In.ToDictionary(kv => kv.Key, kv => kv.Key is "pan" or "pin" ? kv.Value + "X" : kv.Value);
                CliRunner.Run(CliRunner.Arguments(v.Op, bad));
            }
        }
        finally
        {
            await Log.CloseAndFlushAsync();
        }

        var haystack = sink.Messages.Concat(CapturedOutput.Snapshot()).ToList();
        Assert.NotEmpty(sink.Messages);
        foreach (string secret in Secrets())
        {
            var pattern = new Regex($@"(?<![0-9A-Fa-f]){Regex.Escape(secret)}(?![0-9A-Fa-f])", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
            string? leak = haystack.FirstOrDefault(pattern.IsMatch);
            Assert.True(leak is null, $"sensitive value of length {secret.Length} found in log output: {Mask(leak)}");
        }
    }

    [Fact]
    public void PANs_are_masked_first_six_last_four() =>
        Assert.Equal("469059******4714", Switch.Common.Masking.PanMask.Mask("4690592981884714"));

    private static async Task RunQuietlyAsync(ISecurityTooling module, string op, IReadOnlyDictionary<string, string> input)
    {
        try { await CryptoTool.RunAsync(module, op, input, TestTimeout.Token); }
        catch (SecurityInputException) { /* expected for refused or tampered operations */ }
    }

    // Every clear key, PIN, PIN block and PAN the suite handles.
    private static IEnumerable<string> Secrets()
    {
        string[] secretNames = ["key", "from_key", "to_key", "bdk", "cvk", "pvk", "imk", "pin", "pan", "block"];
        string[] secretOutputs = ["ipek", "pin_key", "mac_key", "data_key", "initial_key", "mac_gen_key", "pin", "block"];
        foreach (CryptoVector v in VectorFile.Vectors)
        {
            foreach (var (k, value) in v.In) if (secretNames.Contains(k)) yield return value;
            foreach (var (k, value) in v.Out) if (secretOutputs.Contains(k)) yield return value;
        }
        yield return "0123456789ABCDEFFEDCBA9876543210";
        yield return "4012345678909";
    }

    private static string Mask(string? text) => text is null ? "" : text.Length > 40 ? text[..40] + "…" : text;

    /// <summary>Collects rendered Serilog events.</summary>
    private sealed class MemorySink : ILogEventSink
    {
        private readonly List<string> _messages = [];

        public IReadOnlyList<string> Messages
        {
            get { lock (_messages) return [.. _messages]; }
        }

        public void Emit(LogEvent logEvent)
        {
            string text = logEvent.RenderMessage(System.Globalization.CultureInfo.InvariantCulture) + " " + logEvent.Exception;
            lock (_messages) _messages.Add(text);
        }
    }
}

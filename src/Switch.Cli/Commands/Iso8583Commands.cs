using System.CommandLine;
using System.Text;
using System.Text.Json;
using Switch.Iso8583;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;

namespace Switch.Cli.Commands;

/// <summary><c>switch iso8583 decode|encode|describe</c>: the codec as a tool.</summary>
public static class Iso8583Commands
{
    /// <summary>Largest input accepted from a file or stdin (a message is at most 64 KiB; hex doubles it).</summary>
    private const int MaxInputBytes = 1024 * 1024;

    /// <summary>Builds the <c>iso8583</c> verb group.</summary>
    public static Command Create()
    {
        var group = new Command("iso8583", "Decode, encode and describe ISO 8583 messages.");
        group.Subcommands.Add(Decode());
        group.Subcommands.Add(Encode());
        group.Subcommands.Add(Describe());
        return group;
    }

    private static Option<string> SpecOption() => new("--spec")
    {
        Description = "Built-in spec name (" + string.Join(", ", SpecCatalog.BuiltInNames) + "), a JSON spec file, or a jPOS GenericPackager XML file.",
        Required = true,
    };

    private static Command Decode()
    {
        var spec = SpecOption();
        var hex = new Option<string>("--hex") { Description = "The message as hex (whitespace ignored)." };
        var file = new Option<string>("--file") { Description = "A file holding the message: hex text (.hex, or only hex digits) or raw bytes." };
        var cmd = new Command("decode", "Decode one message and print it as JSON: {\"mti\":…,\"fields\":{…}}.") { spec, hex, file };
        cmd.SetAction(r =>
        {
            var messageSpec = SpecCatalog.Resolve(r.GetValue(spec)!);
            var message = DecodeInput(messageSpec, r.GetValue(hex), r.GetValue(file));
            Console.Out.WriteLine(IsoJson.ToJson(message));
            return 0;
        });
        return cmd;
    }

    /// <summary>
    /// Decodes --hex, or --file read as hex text or raw bytes. A file that is only hex digits but not
    /// named .hex is ambiguous (an ASCII message of digits looks like hex): the reading that decodes wins,
    /// hex first; when neither does, the hex reading's error is reported.
    /// </summary>
    private static IsoMessage DecodeInput(MessageSpec spec, string? hex, string? file)
    {
        var candidates = ReadMessageInputs(hex, file);
        IsoFormatException? first = null;
        foreach (var bytes in candidates)
        {
            try
            {
                return spec.Decode(bytes, DecodeMode.Materialize);
            }
            catch (IsoFormatException ex)
            {
                first ??= ex;
            }
        }
        throw first!;
    }

    private static Command Encode()
    {
        var spec = SpecOption();
        var cmd = new Command("encode", "Read a message as JSON on stdin and print it encoded, as uppercase hex.") { spec };
        cmd.SetAction(r =>
        {
            var messageSpec = SpecCatalog.Resolve(r.GetValue(spec)!);
            string json = ReadStdin();
            var message = IsoJson.Parse(json, messageSpec);
            Console.Out.WriteLine(Convert.ToHexString(messageSpec.Encode(message)));
            return 0;
        });
        return cmd;
    }

    private static Command Describe()
    {
        var spec = SpecOption();
        var cmd = new Command("describe", "Print a spec as a table: field, name, wire form.") { spec };
        cmd.SetAction(r =>
        {
            var messageSpec = SpecCatalog.Resolve(r.GetValue(spec)!);
            Console.Out.Write(SpecTable.Render(messageSpec));
            return 0;
        });
        return cmd;
    }

    /// <summary>Exactly one of --hex and --file; returns the possible readings of the message bytes, preferred first.</summary>
    internal static List<byte[]> ReadMessageInputs(string? hex, string? file)
    {
        if (hex is null == file is null) throw new CliException("give exactly one of --hex and --file");
        if (hex is not null) return [HexInput.Parse(hex, "--hex")];
        byte[] raw;
        try
        {
            // Read through a bounded stream: /dev/zero or a FIFO must not be read until memory runs out.
            raw = Switch.Common.IO.BoundedFile.ReadAllBytes(file!, MaxInputBytes);
        }
        catch (Switch.Common.IO.BoundedFileException ex)
        {
            throw new CliException($"--file: {ex.Message}");
        }
        string ext = Path.GetExtension(file!).ToLowerInvariant();
        if (ext is ".hex" or ".txt") return [HexInput.Parse(System.Text.Encoding.Latin1.GetString(raw), $"--file {file}")];
        if (ext is ".bin" or ".raw" or ".dat" || !HexInput.IsHexText(raw)) return [raw];
        var readings = new List<byte[]>(2);
        try
        {
            readings.Add(HexInput.Parse(System.Text.Encoding.Latin1.GetString(raw), $"--file {file}"));
        }
        catch (CliException)
        {
            // Odd digit count and the like: not hex text after all.
        }
        readings.Add(raw);
        return readings;
    }

    private static string ReadStdin()
    {
        using var stdin = Console.OpenStandardInput();
        var buffer = new byte[MaxInputBytes + 1];
        int total = 0, n;
        while ((n = stdin.Read(buffer, total, buffer.Length - total)) > 0)
        {
            total += n;
            if (total > MaxInputBytes) throw new CliException($"stdin: input larger than {MaxInputBytes} bytes");
        }
        if (total == 0) throw new CliException("stdin: expected the message as JSON, got nothing");
        // Editors on some systems write a UTF-8 byte-order mark; it is not part of the JSON.
        int start = total >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF ? 3 : 0;
        try
        {
            return new UTF8Encoding(false, true).GetString(buffer, start, total - start);
        }
        catch (DecoderFallbackException)
        {
            throw new CliException("stdin: input is not valid UTF-8");
        }
    }
}

/// <summary>Hex text from the command line or a file.</summary>
public static class HexInput
{
    /// <summary>Parses hex, ignoring whitespace; errors name the source and position.</summary>
    public static byte[] Parse(string text, string source)
    {
        var clean = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsWhiteSpace(c)) continue;
            if (!char.IsAsciiHexDigit(c)) throw new CliException($"{source}: '{Printable(c)}' at position {i} is not a hex digit");
            clean.Append(c);
        }
        if (clean.Length == 0) throw new CliException($"{source}: no hex digits");
        if (clean.Length % 2 == 1) throw new CliException($"{source}: odd number of hex digits ({clean.Length})");
        return Convert.FromHexString(clean.ToString());
    }

    /// <summary>True when the bytes are only hex digits and whitespace.</summary>
    public static bool IsHexText(ReadOnlySpan<byte> raw)
    {
        bool any = false;
        foreach (byte b in raw)
        {
            if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') continue;
            if (!char.IsAsciiHexDigit((char)b)) return false;
            any = true;
        }
        return any;
    }

    private static string Printable(char c) => char.IsControl(c) ? $"\\u{(int)c:X4}" : c.ToString();
}

/// <summary><c>switch tlv decode</c>: BER-TLV as a tool.</summary>
public static class TlvCommands
{
    /// <summary>Builds the <c>tlv</c> verb group.</summary>
    public static Command Create()
    {
        var group = new Command("tlv", "Decode BER-TLV data (EMV DE 55).");
        var hex = new Option<string>("--hex") { Description = "The TLV data as hex.", Required = true };
        var decode = new Command("decode", "Print TLV data as a JSON array of {\"tag\",\"value\"}, constructed tags with \"children\".") { hex };
        decode.SetAction(r =>
        {
            byte[] bytes = HexInput.Parse(r.GetValue(hex)!, "--hex");
            IReadOnlyList<Switch.Iso8583.Tlv.TlvNode> nodes;
            try
            {
                nodes = Switch.Iso8583.Tlv.BerTlv.Parse(bytes);
            }
            catch (Switch.Iso8583.Tlv.TlvFormatException ex)
            {
                throw new CliException($"TLV: {ex.Message}");
            }
            using var stdout = Console.OpenStandardOutput();
            using (var writer = new Utf8JsonWriter(stdout, IsoJson.WriterOptions)) WriteNodes(nodes, writer);
            stdout.WriteByte((byte)'\n');
            return 0;
        });
        group.Subcommands.Add(decode);
        return group;
    }

    private static void WriteNodes(IReadOnlyList<Switch.Iso8583.Tlv.TlvNode> nodes, Utf8JsonWriter writer)
    {
        writer.WriteStartArray();
        foreach (var node in nodes)
        {
            writer.WriteStartObject();
            writer.WriteString("tag", node.Tag);
            writer.WriteString("value", Convert.ToHexString(node.Value.Span));
            if (node.Children is not null)
            {
                writer.WritePropertyName("children");
                WriteNodes(node.Children, writer);
            }
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
    }
}

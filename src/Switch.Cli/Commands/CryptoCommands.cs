using System.CommandLine;
using System.Text.Json;
using Switch.Security;
using Switch.Simulators.Hsm;

namespace Switch.Cli.Commands;

/// <summary><c>switch crypto OP --name value …</c>: security operations as a tool, on any back end; prints one JSON object.</summary>
public static class CryptoCommands
{
    /// <summary>Longest one <c>crypto</c> operation may wait for the HSM.</summary>
    private const int ToolTimeoutMs = 10_000;

    /// <summary>Builds the <c>crypto</c> verb group, one sub-command per operation.</summary>
    public static Command Create()
    {
        var group = new Command("crypto", "PIN, MAC, CVV, EMV, DUKPT and KCV operations; prints one JSON object with uppercase hex.");
        foreach (var (op, shape) in CryptoTool.Operations) group.Subcommands.Add(Operation(op, shape.Required, shape.Optional, shape.Summary));
        return group;
    }

    private static Command Operation(string op, string[] required, string[] optional, string summary)
    {
        var cmd = new Command(op, summary);
        var options = new List<(string Name, Option<string> Option)>();
        foreach (string name in required.Concat(optional))
        {
            var option = new Option<string>("--" + name.Replace('_', '-'))
            {
                Description = OptionHelp(name),
                Required = required.Contains(name),
            };
            options.Add((name, option));
            cmd.Options.Add(option);
        }
        var backend = SecurityBackendOptions.Add(cmd);
        cmd.SetAction((r, ct) => RunAsync(op, options, backend, r, ct));
        return cmd;
    }

    private static async Task<int> RunAsync(string op, List<(string Name, Option<string> Option)> options, SecurityBackendOptions backend, ParseResult r, CancellationToken ct)
    {
        var input = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, option) in options)
        {
            if (r.GetValue(option) is { } value) input[name] = value;
        }
        await using ISecurityTooling module = await backend.OpenAsync(r, ct).ConfigureAwait(false);
        IReadOnlyDictionary<string, string> output;
        // A tool run has no resilience pipeline: this bounds a silent HSM (the payShield client waits on the token).
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(ToolTimeoutMs);
        try
        {
            output = await CryptoTool.RunAsync(module, op, input, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new CliException($"{module.Name}: no answer from the HSM within {ToolTimeoutMs} ms");
        }
        catch (HsmErrorException ex)
        {
            // The back end's messages already start with its name; say it once.
            string detail = ex.Message.StartsWith(module.Name + ": ", StringComparison.Ordinal) ? ex.Message[(module.Name.Length + 2)..] : ex.Message;
            throw new CliException($"{module.Name}: HSM refused the request (error {ex.ErrorCode}): {detail}");
        }
        Console.Out.WriteLine(JsonSerializer.Serialize(output));
        return 0;
    }

    private static string OptionHelp(string name) => name switch
    {
        "key" or "from_key" or "to_key" or "bdk" or "cvk" or "pvk" or "imk" => "Clear key, hex (test keys only; production keys live in the key store).",
        "alg" => "Algorithm (kcv: tdes|aes; mac: iso9797-1-alg1|iso9797-1-alg3|aes-cmac|tdes-cmac).",
        "format" or "to_format" => "ISO 9564-1 PIN block format: 0, 1, 3 or 4.",
        "padding" => "ISO 9797-1 padding method 1 or 2 (default 1).",
        "ksn" => "Key serial number, hex (TDES: 10 bytes; AES: 12 bytes).",
        "key_type" => "AES DUKPT key type: aes128, aes192 or aes256 (must match the BDK length).",
        "scheme" => "visa-cvn10, visa-cvn18 or emv-csk.",
        "method" => "ARPC method: 1 or 2.",
        _ => $"The {name.Replace('_', ' ')} (digits or hex as the operation needs).",
    };
}

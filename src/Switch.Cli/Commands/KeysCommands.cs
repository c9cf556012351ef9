using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Switch.Common.IO;
using Switch.Security;
using Switch.Security.Keys;
using Switch.Security.Primitives;

namespace Switch.Cli.Commands;

/// <summary><c>switch keys init|import|list|remove</c>: the LMK and the key store; key material is never printed.</summary>
public static class KeysCommands
{
    /// <summary>Longest component line accepted (a 32-byte key is 64 hex digits, plus spaces).</summary>
    private const int ComponentCharsMax = 200;

    /// <summary>Builds the <c>keys</c> verb group.</summary>
    public static Command Create()
    {
        var group = new Command("keys", "Create the LMK and manage keys stored under it (name, type, KCV; never key material).");
        group.Subcommands.Add(Init());
        group.Subcommands.Add(Import());
        group.Subcommands.Add(List());
        group.Subcommands.Add(Remove());
        return group;
    }

    private static Option<string> StoreOption() => new("--store")
    {
        Description = "Key store directory (default $SWITCH_KEY_STORE or ./.switch).",
        DefaultValueFactory = _ => SecurityBackendOptions.DefaultStore,
    };

    private static Command Init()
    {
        var store = StoreOption();
        var cmd = new Command("init", "Create a new local master key (LMK) in the store directory; never overwrites one.") { store };
        cmd.SetAction(r =>
        {
            string dir = r.GetValue(store)!;
            using Lmk lmk = Lmk.Create(dir);
            Print(new() { ["store"] = dir, ["lmk_kcv"] = lmk.CheckValue });
            return 0;
        });
        return cmd;
    }

    private static Command Import()
    {
        var store = StoreOption();
        var name = new Option<string>("--name") { Description = "Key name (letters, digits, . - _).", Required = true };
        var type = new Option<string>("--type") { Description = "zmk, zpk, tpk, pvk, cvk, tak, zak, bdk or imk-ac.", Required = true };
        var alg = new Option<string>("--alg") { Description = "tdes or aes.", DefaultValueFactory = _ => "tdes" };
        var kcv = new Option<string>("--kcv") { Description = "Expected key check value (from the custodians' form); the key is stored only if it matches.", Required = true };
        var components = new Option<int?>("--components") { Description = "Number of clear components to prompt for (typed without echo; one hex line each on stdin when not a terminal)." };
        var componentsFile = new Option<string>("--components-file") { Description = "File with one hex component per line." };
        var zmk = new Option<string>("--zmk") { Description = "Name of a stored ZMK the --cryptogram is enciphered under." };
        var cryptogram = new Option<string>("--cryptogram") { Description = "The key enciphered under --zmk (ECB), hex." };
        var cmd = new Command("import", "Import a key from clear components or from a ZMK cryptogram, confirming its KCV.")
        {
            store, name, type, alg, kcv, components, componentsFile, zmk, cryptogram,
        };
        var backend = SecurityBackendOptions.AddForKeyStore(cmd);
        cmd.SetAction(r =>
        {
            string dir = r.GetValue(store)!;
            using var vault = backend.OpenPkcs11Vault(r);
            // Keys headed for a token need no LMK, but one is still used for a ZMK kept under it.
            using Lmk? lmk = vault is null || File.Exists(Path.Combine(dir, Lmk.FileName)) ? Lmk.Load(dir) : null;
            var import = new KeyImport(lmk, new FileKeyStore(dir), vault);
            KeyType keyType = FileKeyStore.ParseType(r.GetValue(type));
            KeyAlgorithm keyAlg = KeyLengths.Parse(r.GetValue(alg), "alg");
            int sources = (r.GetValue(components) is null ? 0 : 1) + (r.GetValue(componentsFile) is null ? 0 : 1) + (r.GetValue(zmk) is null ? 0 : 1);
            if (sources != 1) throw new CliException("give exactly one of --components, --components-file and --zmk");
            StoredKey stored;
            try
            {
                if (r.GetValue(zmk) is { } zmkName)
                {
                    byte[] c = Hex.Parse(r.GetValue(cryptogram) ?? throw new CliException("--cryptogram is required with --zmk"), "cryptogram");
                    stored = import.FromZmk(r.GetValue(name)!, keyType, keyAlg, zmkName, c, r.GetValue(kcv)!);
                }
                else
                {
                    List<byte[]> parts = r.GetValue(componentsFile) is { } file ? ReadComponentFile(file) : PromptComponents(r.GetValue(components)!.Value);
                    try
                    {
                        foreach (var (part, i) in parts.Select((p, i) => (p, i)))
                        {
                            // Each component's KCV lets the custodian confirm what they typed without showing it.
                            Console.Error.WriteLine($"component {i + 1} KCV: {KeyImport.CheckValue(keyAlg, part)}");
                        }
                        stored = import.FromComponents(r.GetValue(name)!, keyType, keyAlg, parts, r.GetValue(kcv)!);
                    }
                    finally
                    {
                        foreach (byte[] p in parts) CryptographicOperations.ZeroMemory(p);
                    }
                }
            }
            catch (KeyNotFoundException ex)
            {
                throw new CliException(ex.Message);
            }
            Print(Describe(stored));
            return 0;
        });
        return cmd;
    }

    private static Command List()
    {
        var store = StoreOption();
        var json = new Option<bool>("--json") { Description = "Print a JSON array instead of a table." };
        var cmd = new Command("list", "List stored keys: name, type, algorithm, KCV, created (never key material).") { store, json };
        cmd.SetAction(r =>
        {
            var keys = new FileKeyStore(r.GetValue(store)!).List();
            if (r.GetValue(json))
            {
                Console.Out.WriteLine(JsonSerializer.Serialize(keys.Select(Describe).ToList()));
                return 0;
            }
            var sb = new StringBuilder();
            sb.AppendLine(CultureInfo.InvariantCulture, $"{"NAME",-24} {"TYPE",-6} {"ALG",-8} {"KCV",-6} CREATED");
            foreach (var k in keys)
            {
                sb.AppendLine(CultureInfo.InvariantCulture, $"{k.Name,-24} {k.Type.ToString().ToUpperInvariant(),-6} {KeyLengths.Name(k.Algorithm) + "-" + k.LengthBytes * 8,-8} {k.Kcv,-6} {k.Created:yyyy-MM-dd HH:mm:ss}Z");
            }
            Console.Out.Write(sb.ToString());
            return 0;
        });
        return cmd;
    }

    private static Command Remove()
    {
        var store = StoreOption();
        var name = new Option<string>("--name") { Description = "Key to remove.", Required = true };
        var cmd = new Command("remove", "Remove a key from the store (and its objects from the token for PKCS#11 keys).") { store, name };
        var backend = SecurityBackendOptions.AddForKeyStore(cmd);
        cmd.SetAction(r =>
        {
            string keyName = r.GetValue(name)!;
            var keyStore = new FileKeyStore(r.GetValue(store)!);
            StoredKey entry;
            try { entry = keyStore.Get(keyName); }
            catch (KeyNotFoundException ex) { throw new CliException(ex.Message); }
            if (entry.Cryptogram.StartsWith(Security.Backends.IKeyVault.ReferencePrefix, StringComparison.Ordinal))
            {
                // Destroy the token objects first, so a failure leaves the store entry that names them.
                using var vault = backend.OpenPkcs11Vault(r) ?? throw new CliException($"key '{keyName}' lives on a PKCS#11 token; give --backend pkcs11 to remove it");
                vault.Delete(entry.Cryptogram[Security.Backends.IKeyVault.ReferencePrefix.Length..]);
            }
            keyStore.Remove(keyName);
            Print(new() { ["removed"] = keyName });
            return 0;
        });
        return cmd;
    }

    private static Dictionary<string, string> Describe(StoredKey k) => new()
    {
        ["name"] = k.Name,
        ["type"] = k.Type.ToString().ToUpperInvariant(),
        ["algorithm"] = $"{KeyLengths.Name(k.Algorithm)}-{k.LengthBytes * 8}",
        ["kcv"] = k.Kcv,
        ["created"] = k.Created.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
    };

    private static void Print(Dictionary<string, string> output) => Console.Out.WriteLine(JsonSerializer.Serialize(output));

    private static List<byte[]> ReadComponentFile(string path)
    {
        string text;
        try
        {
            // Bounded through a stream: a FIFO or /dev/zero given here must not hang or exhaust memory.
            text = BoundedFile.ReadAllText(path, KeyImport.ComponentsMax * (ComponentCharsMax + 2));
        }
        catch (BoundedFileException ex)
        {
            throw new CliException($"--components-file: {ex.Message}");
        }
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).Where(l => l.Trim().Length > 0).ToList();
        return [.. lines.Select((l, i) => Hex.Parse(l.Replace(" ", "", StringComparison.Ordinal).Trim(), $"component {i + 1}"))];
    }

    private static List<byte[]> PromptComponents(int count)
    {
        if (count is < 1 or > KeyImport.ComponentsMax) throw new CliException($"--components: 1 to {KeyImport.ComponentsMax}");
        var parts = new List<byte[]>(count);
        for (int i = 1; i <= count; i++)
        {
            string text = Console.IsInputRedirected ? ReadLineLimited() : ReadHidden($"component {i} of {count} (hex, not echoed): ");
            parts.Add(Hex.Parse(text.Replace(" ", "", StringComparison.Ordinal).Trim(), $"component {i}"));
        }
        return parts;
    }

    private static string ReadLineLimited()
    {
        string? line = Console.In.ReadLine() ?? throw new CliException("stdin: fewer component lines than --components");
        if (line.Length > ComponentCharsMax) throw new CliException("stdin: component line too long");
        return line;
    }

    private static string ReadHidden(string prompt)
    {
        Console.Error.Write(prompt);
        var sb = new StringBuilder();
        while (true)
        {
            ConsoleKeyInfo key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) break;
            if (key.Key == ConsoleKey.Backspace) { if (sb.Length > 0) sb.Length--; continue; }
            if (sb.Length >= ComponentCharsMax) throw new CliException("component too long");
            sb.Append(key.KeyChar);
        }
        Console.Error.WriteLine();
        return sb.ToString();
    }
}

using System.CommandLine;
using System.Text;
using Switch.Common.IO;
using Switch.Iso20022;
using Switch.Iso20022.Translation;
using Switch.Iso8583.Message;
using Switch.Iso8583.Spec;

namespace Switch.Cli.Commands;

/// <summary><c>switch iso20022 validate|translate</c>: the ISO 20022 reader and the ISO 8583 translation as a tool.</summary>
public static class Iso20022Commands
{
    /// <summary>Builds the <c>iso20022</c> verb group.</summary>
    public static Command Create()
    {
        var group = new Command("iso20022", "Validate ISO 20022 messages and translate them to and from ISO 8583.");
        group.Subcommands.Add(Validate());
        group.Subcommands.Add(Translate());
        return group;
    }

    private static Option<string> FileOption(string description) => new("--file") { Description = description, Required = true };

    private static Command Validate()
    {
        var file = FileOption("The ISO 20022 message (a Document, or an AppHdr and Document in one envelope element).");
        var cmd = new Command("validate", "Validate a message against its schema (chosen by the Document namespace) and the business rules; every error is printed with its line and position.") { file };
        cmd.SetAction(r =>
        {
            string path = r.GetValue(file)!;
            var reader = Iso20022Reader.Default;
            byte[] bytes = BoundedFile.ReadAllBytes(path, reader.Options.DocumentBytesMax + 1);
            if (!reader.TryRead(bytes, out var document, out var error)) return PrintErrors(path, error!);
            Console.Out.WriteLine($"{path}: valid {document!.MessageName}");
            return 0;
        });
        return cmd;
    }

    private static Command Translate()
    {
        var to = new Option<string>("--to") { Description = "iso8583 (the file is ISO 20022 XML) or iso20022 (the file is the JSON of `iso8583 decode`).", Required = true };
        var spec = new Option<string>("--spec")
        {
            Description = "ISO 8583 spec: built-in name (" + string.Join(", ", SpecCatalog.BuiltInNames) + "), a JSON spec file, or a jPOS GenericPackager XML file.",
            Required = true,
        };
        var file = FileOption("The message to translate.");
        var cmd = new Command("translate", "Translate pacs.008/002/004, camt.056 and cain.001/002/005/006 to ISO 8583 (printed as the JSON of `iso8583 decode`), or ISO 8583 JSON to ISO 20022 XML.") { to, spec, file };
        cmd.SetAction(r =>
        {
            var messageSpec = SpecCatalog.Resolve(r.GetValue(spec)!);
            string path = r.GetValue(file)!;
            try
            {
                return r.GetValue(to) switch
                {
                    "iso8583" => ToIso8583(messageSpec, path),
                    "iso20022" => ToIso20022(messageSpec, path),
                    var other => CliErrors.Fail($"--to must be iso8583 or iso20022, not '{other}'"),
                };
            }
            catch (Iso20022TranslationException ex)
            {
                return CliErrors.Fail($"{path}: {ex.Message}");
            }
        });
        return cmd;
    }

    private static int ToIso8583(MessageSpec spec, string path)
    {
        var reader = Iso20022Reader.Default;
        byte[] bytes = BoundedFile.ReadAllBytes(path, reader.Options.DocumentBytesMax + 1);
        if (!reader.TryRead(bytes, out var document, out var error)) return PrintErrors(path, error!);
        var message = Iso8583Translator.ToIso8583(document!, spec);
        // Through the codec, so the output is exactly what `iso8583 decode` prints for the encoded message.
        var decoded = spec.Decode(spec.Encode(message), DecodeMode.Materialize);
        Console.Out.WriteLine(IsoJson.ToJson(decoded));
        return 0;
    }

    private static int ToIso20022(MessageSpec spec, string path)
    {
        string json = BoundedFile.ReadAllText(path, Iso20022Options.Default.DocumentBytesMax + 1);
        var message = spec.Decode(spec.Encode(IsoJson.Parse(json, spec)), DecodeMode.Materialize);
        byte[] xml = Iso8583Translator.ToIso20022(message);
        Console.Out.Write(Encoding.UTF8.GetString(xml));
        Console.Out.WriteLine();
        return 0;
    }

    /// <summary>Every error on its own line, "error: FILE: line L, position P: sentence"; exit code 1.</summary>
    private static int PrintErrors(string path, Iso20022Exception error)
    {
        foreach (var e in error.Errors) Console.Error.WriteLine($"error: {path}: {e}");
        return 1;
    }
}

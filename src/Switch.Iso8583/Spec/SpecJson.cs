using System.Text.Json;
using Switch.Iso8583.Codecs;

namespace Switch.Iso8583.Spec;

/// <summary>
/// Reads message specs written as JSON (the format documented in specs/iso8583/README.md). Every
/// error names the source, the JSON path of the offending key and what is wrong.
/// </summary>
public static partial class SpecJson
{
    /// <summary>Loads a spec from a JSON file.</summary>
    public static MessageSpec LoadFile(string path) => Parse(MessageSpec.ReadSpecFile(path), path);

    /// <summary>Parses a spec from UTF-8 JSON; <paramref name="source"/> names it in errors.</summary>
    public static MessageSpec Parse(ReadOnlySpan<byte> utf8Json, string source)
    {
        // The JSON reader defers checking strings' UTF-8 until they are read: check it all first, with a position.
        CheckUtf8(utf8Json, source);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(utf8Json.ToArray(), new JsonDocumentOptions { MaxDepth = 16, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException ex)
        {
            throw new IsoFormatException($"{source}: invalid JSON at line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}: {JsonProblem(ex)}");
        }
        using (doc)
        {
            var reader = new Reader(source);
            return reader.Message(doc.RootElement, "", isSub: false);
        }
    }

    private static void CheckUtf8(ReadOnlySpan<byte> bytes, string source)
    {
        var chars = new char[Math.Min(bytes.Length, 4096)];
        int offset = 0;
        while (offset < bytes.Length)
        {
            var status = System.Text.Unicode.Utf8.ToUtf16(bytes[offset..], chars, out int read, out _, replaceInvalidSequences: false);
            offset += read;
            if (status == System.Buffers.OperationStatus.Done) return;
            if (status == System.Buffers.OperationStatus.DestinationTooSmall) continue;
            var before = bytes[..offset];
            int line = before.Count((byte)'\n') + 1;
            int column = offset - (before.LastIndexOf((byte)'\n') + 1) + 1;
            throw new IsoFormatException($"{source}: invalid UTF-8 at line {line}, byte {column} (byte offset {offset}): byte {bytes[offset]:X2}");
        }
    }

    /// <summary>
    /// What is wrong with the JSON, as a sentence: the first sentence of the reader's own message (the rest is
    /// advice to programmers and a position the caller states itself).
    /// </summary>
    internal static string JsonProblem(JsonException ex)
    {
        string message = ex.Message;
        int cut = message.IndexOf(". ", StringComparison.Ordinal);
        if (cut < 0) cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).TrimEnd('.', ' ');
    }

    private sealed class Reader(string source)
    {
        private static readonly HashSet<string> MessageKeys = ["name", "description", "headerLength", "maxMessageBytes", "maxTlvDepth", "firstField", "fields"];
        private static readonly HashSet<string> FieldKeys =
            ["name", "type", "length", "prefix", "prefixEncoding", "prefixBytes", "prefixCounts", "encoding", "signEncoding", "pad", "padChar", "padNibble", "trackSeparator", "tlv", "sensitive", "subfields"];

        public MessageSpec Message(JsonElement e, string path, bool isSub)
        {
            Expect(e, JsonValueKind.Object, path);
            CheckKeys(e, MessageKeys, path);
            string name = Str(e, "name", path) ?? (isSub ? "subfields" : throw Error(path, "'name' is required"));
            string description = Str(e, "description", path) ?? "";
            int header = Int(e, "headerLength", path) ?? 0;
            int maxBytes = Int(e, "maxMessageBytes", path) ?? MessageSpec.DefaultMaxMessageBytes;
            int maxDepth = Int(e, "maxTlvDepth", path) ?? MessageSpec.DefaultMaxTlvDepth;
            int? first = Int(e, "firstField", path);
            if (!e.TryGetProperty("fields", out var fieldsElement)) throw Error(path, "'fields' is required");
            string fieldsPath = Join(path, "fields");
            Expect(fieldsElement, JsonValueKind.Object, fieldsPath);
            CheckUnique(fieldsElement, fieldsPath);
            var fields = new List<FieldSpec>();
            foreach (var p in fieldsElement.EnumerateObject())
            {
                string fp = Join(fieldsPath, p.Name);
                if (!int.TryParse(p.Name, out int number) || number is < 0 or > 192 || p.Name != number.ToString())
                    throw Error(fp, "field keys are numbers 0..192 without leading zeros");
                fields.Add(Field(number, p.Value, fp));
            }
            try
            {
                return new MessageSpec(name, description, fields, header, isSub, first, maxBytes, maxDepth);
            }
            catch (ArgumentException ex)
            {
                throw Error(path, ex.Message);
            }
        }

        private FieldSpec Field(int number, JsonElement e, string path)
        {
            Expect(e, JsonValueKind.Object, path);
            CheckKeys(e, FieldKeys, path);
            string name = Str(e, "name", path) ?? $"Field {number}";
            var type = ParseType(Str(e, "type", path), path, e.TryGetProperty("subfields", out _));
            int length = Int(e, "length", path) ?? throw Error(path, "'length' is required");
            var prefix = Prefix(e, path);
            var encoding = Encoding(e, type, path);
            var padding = FieldPadding(e, type, path);
            bool countsBytes = (Str(e, "prefixCounts", path) ?? "units") switch
            {
                "units" => false,
                "bytes" => true,
                var other => throw Error(Join(path, "prefixCounts"), $"'{other}' is not 'units' or 'bytes'"),
            };
            bool tlv = e.TryGetProperty("tlv", out var t) && Bool(t, Join(path, "tlv"));
            var sensitivity = (Str(e, "sensitive", path) ?? "none") switch
            {
                "none" => Sensitivity.None,
                "pan" => Sensitivity.Pan,
                "track" => Sensitivity.Track,
                "secret" => Sensitivity.Secret,
                "emv" => Sensitivity.Emv,
                var other => throw Error(Join(path, "sensitive"), $"'{other}' is not one of none, pan, track, secret, emv"),
            };
            MessageSpec? sub = e.TryGetProperty("subfields", out var s) ? Message(s, Join(path, "subfields"), isSub: true) : null;
            try
            {
                return new FieldSpec(number, name, type, length, prefix, encoding, padding, countsBytes, tlv, sub, sensitivity);
            }
            catch (ArgumentException ex)
            {
                throw Error(path, ex.Message);
            }
        }

        private FieldType ParseType(string? type, string path, bool hasSubfields) => type switch
        {
            null => hasSubfields ? FieldType.Composite : throw Error(path, "'type' is required"),
            "numeric" or "n" => FieldType.Numeric,
            "string" or "char" or "an" or "ans" => FieldType.String,
            "binary" or "b" => FieldType.Binary,
            "amount" => FieldType.Amount,
            "bitmap" => FieldType.Bitmap,
            "composite" => FieldType.Composite,
            _ => throw Error(Join(path, "type"), $"'{type}' is not one of numeric, string, binary, amount, bitmap, composite"),
        };

        private LengthPrefix Prefix(JsonElement e, string path)
        {
            string prefix = Str(e, "prefix", path) ?? "fixed";
            if (prefix == "fixed") return LengthPrefix.Fixed;
            if (prefix.Length is < 1 or > 6 || prefix.Any(c => c != 'L'))
                throw Error(Join(path, "prefix"), $"'{prefix}' is not 'fixed' or L to LLLLLL");
            var enc = (Str(e, "prefixEncoding", path) ?? "ascii") switch
            {
                "ascii" => PrefixEncoding.Ascii,
                "ebcdic" => PrefixEncoding.Ebcdic,
                "bcd" => PrefixEncoding.Bcd,
                "binary" => PrefixEncoding.Binary,
                var other => throw Error(Join(path, "prefixEncoding"), $"'{other}' is not ascii, ebcdic, bcd or binary"),
            };
            int bytes = Int(e, "prefixBytes", path) ?? 0;
            try
            {
                return LengthPrefix.Variable(prefix.Length, enc, bytes);
            }
            catch (ArgumentException ex)
            {
                throw Error(Join(path, "prefix"), ex.Message);
            }
        }

        private ValueEncoding Encoding(JsonElement e, FieldType type, string path)
        {
            string p = Join(path, "encoding");
            string name = Str(e, "encoding", path) ?? throw Error(path, "'encoding' is required");
            string pad = Str(e, "pad", path) ?? (type == FieldType.Numeric ? "left" : "right");
            int nibble = (Str(e, "padNibble", path) ?? "0") switch
            {
                "0" => 0,
                "F" or "f" => 0xF,
                var other => throw Error(Join(path, "padNibble"), $"'{other}' is not 0 or F"),
            };
            bool separator = e.TryGetProperty("trackSeparator", out var ts) && Bool(ts, Join(path, "trackSeparator"));
            ValueEncoding value = ByName(name, pad == "left", nibble, separator) ?? throw Error(p,
                $"'{name}' is not one of ascii, ebcdic, ebcdic-037, ebcdic-500, ebcdic-1047, bcd, binary, ascii-hex, ebcdic-hex");
            if (type != FieldType.Amount) return value;
            var sign = ByName(Str(e, "signEncoding", path) ?? (value is TextEncoding t ? t.Name : "ascii"), true, 0) as TextEncoding
                ?? throw Error(Join(path, "signEncoding"), "the sign is written in ascii or an ebcdic code page");
            return new AmountEncoding(sign, value);
        }

        /// <summary>Resolves an encoding name; null when unknown.</summary>
        internal static ValueEncoding? ByName(string name, bool padLeft, int padNibble, bool separator = false) => name switch
        {
            "ascii" => TextEncoding.Ascii,
            "ebcdic" or "ebcdic-1047" => TextEncoding.Ebcdic1047,
            "ebcdic-037" => TextEncoding.Ebcdic037,
            "ebcdic-500" => TextEncoding.Ebcdic500,
            "bcd" => new BcdEncoding(padLeft, padNibble, separator),
            "binary" => BinaryEncoding.Instance,
            "ascii-hex" => HexTextEncoding.Ascii,
            "ebcdic-hex" => HexTextEncoding.Ebcdic,
            _ => null,
        };

        private Padding? FieldPadding(JsonElement e, FieldType type, string path)
        {
            string? pad = Str(e, "pad", path);
            string? padChar = Str(e, "padChar", path);
            if (pad is not (null or "left" or "right")) throw Error(Join(path, "pad"), $"'{pad}' is not 'left' or 'right'");
            if (padChar is { Length: not 1 }) throw Error(Join(path, "padChar"), "padChar is one character");
            if (pad is null && padChar is null) return null;
            var fallback = type is FieldType.Numeric or FieldType.Amount ? Padding.LeftZeros : Padding.RightSpaces;
            return new Padding(pad is null ? fallback.Left : pad == "left", padChar?[0] ?? fallback.Char);
        }

        private string? Str(JsonElement e, string key, string path)
        {
            if (!e.TryGetProperty(key, out var v)) return null;
            if (v.ValueKind != JsonValueKind.String) throw Error(Join(path, key), "must be a string");
            return v.GetString();
        }

        private int? Int(JsonElement e, string key, string path)
        {
            if (!e.TryGetProperty(key, out var v)) return null;
            if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int n) || n < 0)
                throw Error(Join(path, key), "must be a non-negative whole number");
            return n;
        }

        private bool Bool(JsonElement v, string path) => v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Error(path, "must be true or false"),
        };

        private void Expect(JsonElement e, JsonValueKind kind, string path)
        {
            if (e.ValueKind != kind) throw Error(path, $"must be a JSON {kind.ToString().ToLowerInvariant()}");
        }

        private void CheckKeys(JsonElement e, HashSet<string> allowed, string path)
        {
            foreach (var p in e.EnumerateObject())
            {
                if (!allowed.Contains(p.Name)) throw Error(Join(path, p.Name), "unknown key");
            }
            CheckUnique(e, path);
        }

        /// <summary>JSON lets the last of two equal keys win; a spec saying two things of one field is refused.</summary>
        private void CheckUnique(JsonElement e, string path)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var p in e.EnumerateObject())
            {
                if (!seen.Add(p.Name)) throw Error(Join(path, p.Name), "duplicate key");
            }
        }

        private static string Join(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";

        private IsoFormatException Error(string path, string what) =>
            new($"{source}: {(path.Length == 0 ? "top level" : path)}: {what}");
    }
}
